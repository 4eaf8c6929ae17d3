package caddyfile

import (
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func adaptGlobal(t *testing.T, webhooks string) (string, error) {
	t.Helper()
	src := "{\n\twebhooks {\n" + webhooks + "\n\t}\n}\n:8080 {\n\trespond ok\n}\n"
	out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), nil)
	return string(out), err
}

func TestAdaptRedisStorage(t *testing.T) {
	for _, tc := range []struct {
		name, body, want, err string
	}{
		{name: "url only", body: "storage redis redis://127.0.0.1:6379/0",
			want: `"storage":{"engine":"redis","url":"redis://127.0.0.1:6379/0"}`},
		{name: "every option", body: `storage redis redis://a:6379,b:6379?master_name=m {
				key_prefix hg:
				lease 2s
				min_replicas 1
				timeout 500ms
				username hookgate
				password {env.REDIS_PASSWORD}
				sentinel_password {env.SENTINEL_PASSWORD}
			}`,
			want: `"storage":{"engine":"redis","key_prefix":"hg:","lease":2000000000,"min_replicas":1,"password":"{env.REDIS_PASSWORD}","sentinel_password":"{env.SENTINEL_PASSWORD}","timeout":500000000,"url":"redis://a:6379,b:6379?master_name=m","username":"hookgate"}`},
		{name: "no url", body: "storage redis", err: "needs a URL"},
		{name: "two urls", body: "storage redis redis://a redis://b", err: "wrong argument count"},
		{name: "unknown option", body: "storage redis redis://a {\nlease_time 2s\n}", err: `unrecognized redis storage option "lease_time"`},
		{name: "negative replicas", body: "storage redis redis://a {\nmin_replicas -1\n}", err: "whole number"},
		{name: "bad lease", body: "storage redis redis://a {\nlease soon\n}", err: "invalid duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := adaptGlobal(t, tc.body)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, out, tc.want)
		})
	}
}
