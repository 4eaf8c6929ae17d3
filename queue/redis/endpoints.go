package redis

import (
	"context"
	"errors"
	"sort"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hookgate/hookgate/queue"
)

// Outbound endpoints live in one hash, <prefix>endpoints: id → JSON. They
// are few and read as a whole, so one key (one cluster slot) is enough.
// Writes go through eval, so that they wait for MinReplicas like messages.

var (
	hsetScript = goredis.NewScript(`return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])`)
	hdelScript = goredis.NewScript(`return redis.call('HDEL', KEYS[1], ARGV[1])`)
)

func (s *Store) endpointsKey() string { return s.prefix + "endpoints" }

// PutEndpoint implements EndpointStore.
func (s *Store) PutEndpoint(e *queue.Endpoint) error {
	rec, err := queue.EncodeEndpoint(e)
	if err != nil {
		return err
	}
	_, err = s.eval(context.Background(), hsetScript, true, []string{s.endpointsKey()}, e.ID, rec)
	return s.wrap(err)
}

// GetEndpoint implements EndpointStore.
func (s *Store) GetEndpoint(id string) (*queue.Endpoint, error) {
	rec, err := s.c.HGet(context.Background(), s.endpointsKey(), id).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, queue.ErrEndpointNotFound
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return queue.DecodeEndpoint(rec)
}

// ListEndpoints implements EndpointStore.
func (s *Store) ListEndpoints() ([]*queue.Endpoint, error) {
	all, err := s.c.HGetAll(context.Background(), s.endpointsKey()).Result()
	if err != nil {
		return nil, s.wrap(err)
	}
	out := make([]*queue.Endpoint, 0, len(all))
	for _, rec := range all {
		e, err := queue.DecodeEndpoint([]byte(rec))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DeleteEndpoint implements EndpointStore.
func (s *Store) DeleteEndpoint(id string) error {
	n, err := s.eval(context.Background(), hdelScript, true, []string{s.endpointsKey()}, id)
	if err != nil {
		return s.wrap(err)
	}
	if n, _ := n.(int64); n == 0 {
		return queue.ErrEndpointNotFound
	}
	return nil
}

var _ queue.EndpointStore = (*Store)(nil)
