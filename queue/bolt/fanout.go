package bolt

import (
	"encoding/binary"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/hookgate/hookgate/queue"
)

// A fan-out group (queue.Store.EnqueueAll) is its deliveries, each a
// message record of format 2 (no body) in the messages bucket and indexed
// in its own queue, and one body, kept with the number of its deliveries
// still stored. All are written in one transaction, and the last delivery
// removed (Delivered, Delete, Purge) takes the body with it in its own:
// no delivery is ever without its body, no body without a delivery.
var (
	bucketBodies = []byte("bodies") // group → body
	bucketGroups = []byte("groups") // group → uvarint: deliveries still stored
)

// EnqueueAll implements queue.Store: the claim, the body and the
// deliveries are one op of the committer, so one fsync for the group.
func (s *Store) EnqueueAll(ms []*queue.Message, key queue.Key) (string, error) {
	if err := queue.CheckGroup(ms); err != nil {
		return "", err
	}
	if len(ms) == 1 {
		return s.Enqueue(ms[0], key)
	}
	group, body := ms[0].ID, ms[0].Body
	recs := make([][]byte, len(ms))
	for i, m := range ms {
		m.State, m.Group = queue.StateQueued, group
		recs[i] = queue.EncodeRecord(m)
	}
	count := binary.AppendUvarint(nil, uint64(len(ms)))
	var holder string
	err := s.commit(func(tx *bbolt.Tx) error {
		if holder = claim(tx, key, group, s.now()); holder != "" {
			return nil
		}
		if err := appendBucket(tx, bucketBodies).Put([]byte(group), body); err != nil {
			return err
		}
		if err := appendBucket(tx, bucketGroups).Put([]byte(group), count); err != nil {
			return err
		}
		for i, m := range ms {
			if err := s.put(tx, m, recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return result(group, holder, err)
}

// unref drops one delivery of group, and the group's body with its last.
func unref(tx *bbolt.Tx, group string) error {
	groups, k := tx.Bucket(bucketGroups), []byte(group)
	if n, _ := binary.Uvarint(groups.Get(k)); n > 1 {
		return groups.Put(k, binary.AppendUvarint(nil, n-1))
	}
	if err := groups.Delete(k); err != nil {
		return err
	}
	return tx.Bucket(bucketBodies).Delete(k)
}

// decode reads a stored record with its body: inline, or its group's.
func decode(tx *bbolt.Tx, rec []byte) (*queue.Message, error) {
	m, err := queue.DecodeRecord(rec)
	if err != nil || m.Group == "" {
		return m, err
	}
	b := tx.Bucket(bucketBodies).Get([]byte(m.Group))
	if b == nil {
		return nil, fmt.Errorf("message %s: the body of its group %s is missing", m.ID, m.Group)
	}
	m.Body = append(make([]byte, 0, len(b)), b...)
	return m, nil
}
