package webhooks

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

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

// inspected fills in v, the view of m, with m's redacted headers and its
// body, of a route that inspects them: as text when it is valid UTF-8,
// else base64, cut to maxShownBody.
func inspected(v *messageView, m *queue.Message, show *redact.Headers) {
	v.Inspected, v.Message.Header = true, show.Apply(m.Header)
	body := m.Body
	v.BodyTruncated = len(body) > maxShownBody
	if v.BodyTruncated {
		body = body[:maxShownBody]
	}
	if utf8.Valid(m.Body) {
		for len(body) > 0 && len(body) < len(m.Body) && !utf8.RuneStart(m.Body[len(body)]) {
			body = body[:len(body)-1]
		}
		v.Body, v.BodyEncoding = string(body), "text"
		return
	}
	v.Body, v.BodyEncoding = base64.StdEncoding.EncodeToString(body), "base64"
}
