package dashboard

import "embed"

// uiFiles is the dashboard: a static page that reads and acts through the
// webhooks API, served from the binary (no build step).
//
//go:embed ui
var uiFiles embed.FS
