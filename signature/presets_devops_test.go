package signature_test

func init() {
	presetCases = append(presetCases, presetCase{name: "circleci"}, presetCase{name: "sentry"})
}
