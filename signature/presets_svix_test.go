package signature_test

// Rows of the senders that deliver through Svix (presets.go).
func init() {
	presetCases = append(presetCases, presetCase{name: "clerk"}, presetCase{name: "resend"})
}
