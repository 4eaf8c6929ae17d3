package e2e

import (
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stallCaddyfile: an inbound and an outbound route with the default
// max_body (1 MiB), and no read_body timeout, so stalled bodies stay open.
const stallCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		storage embedded
	}
}
http://{{.HTTP}} {
	route /hooks/in {
		webhook_inbound {
			name in
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Upstream}}
		}
	}
	route /emit {
		webhook_outbound {{.Upstream}} {
			name emit
			allow_http
			allow_private 127.0.0.0/8
			sign standard_webhooks {
				secret ` + outSecret + `
			}
		}
	}
}
`

// TestStalledBodiesCostLittleMemory: 300 connections announce a body of
// max_body, send two bytes and stall. Before a byte of that body is verified,
// Caddy must not set memory aside for what the client only announced: a
// buffer sized from Content-Length made this 300 MiB.
func TestStalledBodiesCostLittleMemory(t *testing.T) {
	const conns, announced, budgetMiB = 300, 1 << 20, 60
	rc := newReceiver(t)
	for _, path := range []string{"/hooks/in", "/emit"} {
		t.Run(path, func(t *testing.T) {
			// A Caddy each, so that one route's freed heap cannot hide the other's.
			c := startCaddy(t, stallCaddyfile, map[string]any{"Upstream": rc.URL})
			before := rssMiB(t, c)
			open := make([]net.Conn, 0, conns)
			t.Cleanup(func() {
				for _, conn := range open {
					conn.Close()
				}
			})
			for range conns {
				conn, err := net.Dial("tcp", c.HTTP)
				require.NoError(t, err)
				open = append(open, conn)
				_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
					"Content-Length: %d\r\nX-Webhook-Signature: 00\r\n\r\n{\"", path, c.HTTP, announced)
				require.NoError(t, err)
			}
			// Every request reaches its handler, which then waits for bytes
			// that never come; give them time, then look at the memory.
			time.Sleep(2 * time.Second)
			grown := rssMiB(t, c) - before
			t.Logf("%s: RSS grew by %d MiB for %d stalled bodies announcing %d bytes", path, grown, conns, announced)
			assert.Less(t, grown, budgetMiB, "memory grew with announced, not received, bytes")
			code, _ := c.post("/hooks/in", `{"id":"after"}`, map[string]string{"X-Webhook-Signature": sign(`{"id":"after"}`)})
			assert.Equal(t, http.StatusAccepted, code, "Caddy still answers")
		})
	}
}
