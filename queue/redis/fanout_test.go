package redis

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/queue/storetest"
)

// TestRedisFanoutKeys: a fan-out group's keys — the dedupe record, the
// body, each delivery and its queue's indexes — share the route's hash
// tag; a single message keeps today's layout (meta and body in its hash,
// format 1), and its queue's keys are those of before.
func TestRedisFanoutKeys(t *testing.T) {
	s := openFresh(t, redistest.Shared(t), "fan:", time.Hour)
	defer s.Close()
	s.now = func() time.Time { return t0 }
	ctx := context.Background()

	one := newMsg("r", t0)
	_, err := s.EnqueueAll([]*queue.Message{one}, key("one"))
	require.NoError(t, err)
	h, err := s.c.HGetAll(ctx, "fan:{q:r}:m:"+one.ID).Result()
	require.NoError(t, err)
	assert.Equal(t, []string{"body", "meta"}, slices.Sorted(maps.Keys(h)), "a single message: meta and body, as Enqueue writes")
	assert.Equal(t, byte(1), h["meta"][0])
	assert.Equal(t, string(one.Body), h["body"])

	ms := storetest.Fanout([]byte("shared"), "r", queue.FanoutQueue("r", "b:x"), queue.FanoutQueue("r", "c"))
	_, err = s.EnqueueAll(ms, key("fan"))
	require.NoError(t, err)
	keys := scanKeys(t, s, "*")
	for _, k := range keys {
		if k != "fan:queues" {
			assert.True(t, strings.HasPrefix(k, "fan:{q:r}"), k)
		}
	}
	assert.Contains(t, keys, "fan:{q:r}:b:"+ms[0].ID)
	assert.Contains(t, keys, "fan:{q:r}>b%3Ax:due", "the upstream part is escaped")
	for _, m := range ms {
		h, err := s.c.HGetAll(ctx, s.keys(m.Queue).msg(m.ID)).Result()
		require.NoError(t, err)
		assert.Equal(t, []string{"g", "meta"}, slices.Sorted(maps.Keys(h)), "a delivery names its group and has no body")
		assert.Equal(t, byte(2), h["meta"][0])
	}
}

// TestRedisFanoutMemory reports Redis's own MEMORY USAGE of 100 webhooks
// of 64 KiB fanned out to three queues, against three messages each.
func TestRedisFanoutMemory(t *testing.T) {
	srv := redistest.Shared(t)
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	usage := func(prefix string, fanout bool) int64 {
		s := openRedis(t, srv, prefix, time.Hour)
		defer s.Close()
		for range 100 {
			ms := storetest.Fanout(body, storetest.FanoutQueues...)
			if fanout {
				_, err := s.EnqueueAll(ms, queue.Key{})
				require.NoError(t, err)
				continue
			}
			for _, m := range ms {
				_, err := s.Enqueue(m, queue.Key{})
				require.NoError(t, err)
			}
		}
		var n int64
		for _, k := range scanKeys(t, s, "*") {
			u, err := s.c.MemoryUsage(context.Background(), k).Result()
			require.NoError(t, err)
			n += u
		}
		return n
	}
	fan, apart := usage("memfan:", true), usage("memapart:", false)
	t.Logf("100 webhooks × 64 KiB × 3 queues: %d KiB in Redis fanned out, %d KiB as three messages each", fan>>10, apart>>10)
	assert.Less(t, float64(fan), 0.4*float64(apart))
}
