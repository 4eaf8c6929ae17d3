package webhooks

import (
	"embed"
	"time"
)

// uiFiles is the dashboard: a static page that reads and acts through the
// webhooks API, served from the binary (no build step).
//
//go:embed ui
var uiFiles embed.FS

// attemptView is what the API shows of a delivery attempt.
type attemptView struct {
	ID      string    `json:"id"`
	Queue   string    `json:"queue"`
	Outcome string    `json:"outcome"`
	Status  int       `json:"status"`
	At      time.Time `json:"at"`
	TookMS  float64   `json:"took_ms"`
}
