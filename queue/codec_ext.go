package queue

import "encoding/binary"

// Extensions of the record header (formats 1 and 2): optional fields
// written after the header's fixed fields, so that adding one changes
// neither the format byte nor the records that do not use it.
//
// Each extension is a uvarint tag and a length-prefixed value. A record
// without any is byte for byte what it was before extensions existed;
// decoding skips a tag it does not know (a newer binary's field) and
// rejects a truncated one. Binaries older than extensions refuse a record
// that has one, as they refuse format 2: only a message that uses the
// field is written with it (a traceparent is only stored when Caddy's
// tracing is on).
const (
	// extTraceParent: Message.TraceParent, the W3C traceparent string.
	extTraceParent = 1
	// extHistory: the delivery time, keep time and attempts of a message
	// (history.go), written only when it has any of them.
	extHistory = 2
	// extEventType: Message.EventType, an outbound message's event type.
	extEventType = 3
)

// maxTraceParent bounds a stored traceparent: version 00 is 55
// characters; a future version may append fields.
const maxTraceParent = 512

// appendExtensions appends m's extensions, in tag order.
func appendExtensions(b []byte, m *Message) []byte {
	if m.TraceParent != "" {
		b = binary.AppendUvarint(b, extTraceParent)
		b = appendStr(b, m.TraceParent)
	}
	if hasExtension(m) {
		b = binary.AppendUvarint(b, extHistory)
		b = appendStr(b, string(appendExtension(nil, m)))
	}
	if m.EventType != "" {
		b = binary.AppendUvarint(b, extEventType)
		b = appendStr(b, m.EventType)
	}
	return b
}

// readExtensions reads the extensions that end a header into m.
func readExtensions(r *reader[string], m *Message) {
	for len(r.b) > 0 && r.err == nil {
		tag, v := r.uvarint(), r.str()
		switch tag {
		case extTraceParent:
			if len(v) > maxTraceParent {
				r.fail()
				return
			}
			m.TraceParent = v
		case extEventType:
			m.EventType = v
		case extHistory:
			h := reader[string]{b: v}
			readExtension(&h, m)
			if h.err != nil || len(h.b) != 0 {
				r.fail()
				return
			}
		}
	}
}
