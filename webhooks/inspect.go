package webhooks

import (
	"strings"

	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
)

// maxShownBody bounds the body a message view shows.
const maxShownBody = 64 << 10

func (a *App) setInspect(name string, inspect *redact.Headers) {
	if a.inspect == nil {
		a.inspect = map[string]*redact.Headers{}
	}
	if inspect != nil {
		a.inspect[name] = inspect
	}
}

// inspectOf returns how the messages of queue q are shown whole, nil when
// their route does not inspect them: a registered queue's, else that of
// the outbound route whose endpoint's queue q is (the longest name wins).
func (a *App) inspectOf(q string) *redact.Headers {
	if in := a.inspect[q]; in != nil {
		return in
	}
	var best *OutboundRoute
	for _, r := range a.routes {
		rq := queue.RouteQueue(r.Name)
		if (q == rq || strings.HasPrefix(q, rq+":")) && (best == nil || len(r.Name) > len(best.Name)) {
			best = r
		}
	}
	if best == nil {
		return nil
	}
	return best.Inspect
}

// inspected fills in v, the view of m, with m's body and its headers
// redacted through show, for a route that inspects them.
func inspected(v *messageView, m *queue.Message, show *redact.Headers) {
	v.Inspected, v.Message.Header = true, show.Apply(m.Header)
	v.Body, v.BodyEncoding, v.BodyTruncated = redact.Body(m.Body, maxShownBody)
}
