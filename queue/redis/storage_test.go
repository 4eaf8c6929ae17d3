package redis

import (
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

const redisSecret = "s3cret-Redis-pw"

func provisionRedis(t *testing.T, r *Storage) error {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	defer cancel()
	return r.Provision(ctx)
}

func TestRedisStorageSecrets(t *testing.T) {
	t.Setenv("HG_REDIS_PW", redisSecret)
	t.Setenv("HG_REDIS_URL", "redis://user:"+redisSecret+"@127.0.0.1:6379/2")

	a := &Storage{URL: "redis://127.0.0.1:6379/2", Password: "{env.HG_REDIS_PW}", Lease: caddy.Duration(2e9)}
	require.NoError(t, provisionRedis(t, a))
	require.NoError(t, a.Validate())
	assert.Equal(t, redisSecret, a.url.Password, "placeholders are resolved at provision")
	assert.NotContains(t, a.Key(), redisSecret)
	out, err := json.Marshal(a)
	require.NoError(t, err)
	assert.NotContains(t, string(out), redisSecret, "the resolved password stays out of the config")

	b := &Storage{URL: "{env.HG_REDIS_URL}"}
	require.NoError(t, provisionRedis(t, b))
	assert.NotContains(t, b.Key(), redisSecret)
	assert.Contains(t, b.Key(), "redis://user@127.0.0.1:6379/2")
	assert.Equal(t, "hookgate:", b.KeyPrefix)

	c := &Storage{URL: "redis://127.0.0.1:6379/2", Password: "other", Lease: caddy.Duration(2e9)}
	require.NoError(t, provisionRedis(t, c))
	assert.NotEqual(t, a.Key(), c.Key(), "a new password makes a new client on reload")

	bad := &Storage{URL: "redis://:" + redisSecret + "@host:port"}
	err = provisionRedis(t, bad)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), redisSecret)
}

// TestRedisStoragePoolSize: the client's pool holds the requests and
// deliveries in flight (go-redis's own default is 10 per CPU), and a
// changed pool size opens a new client on reload.
func TestRedisStoragePoolSize(t *testing.T) {
	a := &Storage{URL: "redis://127.0.0.1:1/0"}
	require.NoError(t, provisionRedis(t, a))
	assert.Equal(t, DefaultPoolSize, a.PoolSize)
	b := &Storage{URL: "redis://127.0.0.1:1/0", PoolSize: 16}
	require.NoError(t, provisionRedis(t, b))
	assert.NotEqual(t, a.Key(), b.Key())
	st, err := b.Open(zap.NewNop())
	require.NoError(t, err)
	defer st.Close()
	client, ok := st.(*Store).c.(*goredis.Client)
	require.True(t, ok)
	assert.Equal(t, 16, client.Options().PoolSize)
}
