package signature

func init() {
	presetCases = append(presetCases, presetCase{name: "circleci"}, presetCase{name: "sentry"})
}
