package bolt

import (
	bbolt "go.etcd.io/bbolt"

	"github.com/hookgate/hookgate/queue"
)

// bucketEndpoints holds outbound endpoints: id → JSON. It is created on the
// first write, so that databases made before it need no migration.
var bucketEndpoints = []byte("endpoints")

// PutEndpoint implements queue.EndpointStore, through the group commit.
func (s *Store) PutEndpoint(e *queue.Endpoint) error {
	rec, err := queue.EncodeEndpoint(e)
	if err != nil {
		return err
	}
	return s.commit(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketEndpoints)
		if err != nil {
			return err
		}
		return b.Put([]byte(e.ID), rec)
	})
}

// GetEndpoint implements queue.EndpointStore.
func (s *Store) GetEndpoint(id string) (*queue.Endpoint, error) {
	var e *queue.Endpoint
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketEndpoints)
		if b == nil {
			return queue.ErrEndpointNotFound
		}
		rec := b.Get([]byte(id))
		if rec == nil {
			return queue.ErrEndpointNotFound
		}
		var err error
		e, err = queue.DecodeEndpoint(rec)
		return err
	})
	return e, err
}

// ListEndpoints implements queue.EndpointStore.
func (s *Store) ListEndpoints() ([]*queue.Endpoint, error) {
	var out []*queue.Endpoint
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketEndpoints)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, rec []byte) error {
			e, err := queue.DecodeEndpoint(rec)
			if err == nil {
				out = append(out, e)
			}
			return err
		})
	})
	return out, err
}

// DeleteEndpoint implements queue.EndpointStore.
func (s *Store) DeleteEndpoint(id string) error {
	found := false
	err := s.commit(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketEndpoints)
		if found = b != nil && b.Get([]byte(id)) != nil; !found {
			return nil
		}
		return b.Delete([]byte(id))
	})
	if err == nil && !found {
		err = queue.ErrEndpointNotFound
	}
	return err
}

var _ queue.EndpointStore = (*Store)(nil)
