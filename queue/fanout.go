package queue

import (
	"errors"
	"fmt"
	"strings"
)

// FanoutSep separates a route from an upstream in the name of a queue of
// a fan-out route (FanoutQueue).
const FanoutSep = ">"

// FanoutQueue names the queue of one upstream of a fan-out route:
// "<route>><upstream>", e.g. "github>ci". The queues of one route (the
// route's own queue, named route, among them) are stored together: in
// Redis they share one hash tag, so that one script writes a webhook's
// dedupe record, its body and all its deliveries even on Cluster.
func FanoutQueue(route, upstream string) string { return route + FanoutSep + upstream }

// QueueRoute is the route of queue q: the part of its name before the
// first FanoutSep, or the whole name. A store keeps the dedupe records of
// the queues of one route together.
func QueueRoute(q string) string {
	route, _, _ := strings.Cut(q, FanoutSep)
	return route
}

// ErrBadGroup is wrapped by EnqueueAll's error for ms it cannot store as
// one group.
var ErrBadGroup = errors.New("bad fan-out group")

// CheckGroup checks ms before EnqueueAll stores them as one group: at
// least one message, ids distinct, queues of one route (QueueRoute), and
// one body (of one length: the bytes are not compared).
func CheckGroup(ms []*Message) error {
	if len(ms) == 0 {
		return fmt.Errorf("%w: no message", ErrBadGroup)
	}
	route, ids := QueueRoute(ms[0].Queue), make(map[string]bool, len(ms))
	for _, m := range ms {
		switch {
		case ids[m.ID]:
			return fmt.Errorf("%w: id %s twice", ErrBadGroup, m.ID)
		case QueueRoute(m.Queue) != route:
			return fmt.Errorf("%w: queues %q and %q are of different routes", ErrBadGroup, ms[0].Queue, m.Queue)
		case len(m.Body) != len(ms[0].Body):
			return fmt.Errorf("%w: the deliveries' bodies differ", ErrBadGroup)
		}
		ids[m.ID] = true
	}
	return nil
}
