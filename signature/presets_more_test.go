package signature_test

// Rows of presets_more.go and presets_cloud.go in the table of TestPresets.
// The cloud schemes (certificates, JWKS, keys fetched from the provider,
// fields inside the body) are driven by presets_cloud_test.go and their
// sub-packages' tests instead.
func init() {
	for _, name := range []string{"persona", "veriff", "calcom", "ashby", "greenhouse", "line", "telegram",
		"launchdarkly", "buildkite", "easypost", "aftership", "sendbird", "pusher", "webex", "attio", "tally",
		"clickup", "logto"} {
		presetCases = append(presetCases, presetCase{name: name})
	}
	presetCases = append(presetCases,
		presetCase{name: "aws_sns", elsewhere: "TestExternalConfig"},
		presetCase{name: "gcp_pubsub", elsewhere: "TestPubSubPresetMissing"},
		presetCase{name: "ms_graph", elsewhere: "TestGraphPreset"},
		presetCase{name: "azure_event_grid", elsewhere: "TestExternalSigners"},
		presetCase{name: "adyen", elsewhere: "TestAdyenPreset"},
		presetCase{name: "plaid", elsewhere: "TestExternalConfig"},
	)
}
