package signature

import (
	"time"

	"github.com/hookgate/hookgate/signature/header"
)

// DefaultTolerance is the replay window of timestamped schemes when neither
// the caller nor the preset sets one.
const DefaultTolerance = 5 * time.Minute

// TimeFormat is how a scheme writes its timestamp (see package header).
type TimeFormat = header.TimeFormat

// The timestamp formats.
const (
	UnixSeconds = header.UnixSeconds // decimal unix seconds (most senders)
	UnixMillis  = header.UnixMillis  // decimal unix milliseconds (HubSpot)
	RFC3339     = header.RFC3339     // RFC 3339 (Twitch)
)
