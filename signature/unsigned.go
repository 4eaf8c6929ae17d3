package signature

import (
	"net/http"
	"net/url"
	"time"
)

// unsigned is the scheme of senders that sign nothing (Ctxfy postbacks,
// super.AI callbacks): it accepts every request and adds no header. Guard
// such routes with a shared token, basic auth or Caddy's remote_ip matcher;
// replays are caught by deduplication.
type unsigned struct{}

func (unsigned) Verify(*http.Request, []byte, time.Time) error { return nil }

func (unsigned) VerifyDigest(*http.Request, []byte, time.Time) ([]byte, error) { return nil, nil }

func (unsigned) Sign(http.Header, *url.URL, string, []byte, time.Time) error { return nil }
