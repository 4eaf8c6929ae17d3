package queue

import (
	bolt "go.etcd.io/bbolt"
)

// bucketEndpoints holds outbound endpoints: id → JSON. It is created on the
// first write, so that databases made before it need no migration.
var bucketEndpoints = []byte("endpoints")

// PutEndpoint implements EndpointStore, through the group commit.
func (s *Bolt) PutEndpoint(e *Endpoint) error {
	rec, err := EncodeEndpoint(e)
	if err != nil {
		return err
	}
	return s.commit(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketEndpoints)
		if err != nil {
			return err
		}
		return b.Put([]byte(e.ID), rec)
	})
}

// GetEndpoint implements EndpointStore.
func (s *Bolt) GetEndpoint(id string) (*Endpoint, error) {
	var e *Endpoint
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEndpoints)
		if b == nil {
			return ErrEndpointNotFound
		}
		rec := b.Get([]byte(id))
		if rec == nil {
			return ErrEndpointNotFound
		}
		var err error
		e, err = DecodeEndpoint(rec)
		return err
	})
	return e, err
}

// ListEndpoints implements EndpointStore.
func (s *Bolt) ListEndpoints() ([]*Endpoint, error) {
	var out []*Endpoint
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEndpoints)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, rec []byte) error {
			e, err := DecodeEndpoint(rec)
			if err == nil {
				out = append(out, e)
			}
			return err
		})
	})
	return out, err
}

// DeleteEndpoint implements EndpointStore.
func (s *Bolt) DeleteEndpoint(id string) error {
	found := false
	err := s.commit(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEndpoints)
		if found = b != nil && b.Get([]byte(id)) != nil; !found {
			return nil
		}
		return b.Delete([]byte(id))
	})
	if err == nil && !found {
		err = ErrEndpointNotFound
	}
	return err
}

var _ EndpointStore = (*Bolt)(nil)
