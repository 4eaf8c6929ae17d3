package inbound

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/internal/httpx"
)

// Results of the limits.
const (
	resultRateLimited = "rate_limited"
	resultThrottled   = "throttled"
)

// provisionLimits builds the limiters. They live with this config: a
// reload starts them afresh.
func (h *Handler) provisionLimits() {
	if h.MaxRate != nil {
		h.bucket = h.MaxRate.Bucket()
	}
	if h.BadSignatures != nil {
		h.strikes = h.BadSignatures.Counter()
	}
}

// limit answers 429 when the route is over max_rate or the client is
// blocked for bad signatures; it reports whether it did. Both are checked
// before the body is read or a signature computed.
func (h *Handler) limit(w http.ResponseWriter, r *http.Request, now time.Time) (bool, error) {
	if h.strikes != nil {
		if until, blocked := h.strikes.Blocked(clientAddr(r), now); blocked {
			return true, h.tooMany(w, until.Sub(now), resultThrottled, "client blocked after bad signatures")
		}
	}
	if h.bucket != nil {
		if ok, wait := h.bucket.Take(now); !ok {
			return true, h.tooMany(w, wait, resultRateLimited, "route over max_rate")
		}
	}
	return false, nil
}

// strike counts a failed verification against the client, and logs once
// when that blocks it.
func (h *Handler) strike(r *http.Request, now time.Time) {
	if h.strikes == nil {
		return
	}
	ip := clientIP(r)
	if h.strikes.Fail(parseAddr(ip), now) {
		h.log.Warn("client blocked after bad signatures", zap.String("route", h.label),
			zap.String("client_ip", ip), zap.Duration("for", time.Duration(h.BadSignatures.Block)))
	}
}

// vouch tells the strike counter that the client sent a verified request,
// so that bad signatures from the same address (a provider's shared egress,
// which an attacker can point at this route from their own account) do not
// get it blocked. Unsigned routes never strike, so they skip it.
func (h *Handler) vouch(r *http.Request, now time.Time) {
	if h.strikes == nil || h.verifier == nil {
		return
	}
	h.strikes.Succeed(clientAddr(r), now)
}

func (h *Handler) tooMany(w http.ResponseWriter, wait time.Duration, result, msg string) error {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	h.backend.Received(h.label, result)
	return httpx.WriteJSON(w, http.StatusTooManyRequests, map[string]string{"error": msg})
}

// clientIP is Caddy's client IP (which honours trusted_proxies), else the
// connection's address.
func clientIP(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok && ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientAddr is clientIP parsed; an address that does not parse (a Unix
// socket's peer) is the zero Addr, one client for the strike counter.
func clientAddr(r *http.Request) netip.Addr {
	return parseAddr(clientIP(r))
}

func parseAddr(ip string) netip.Addr {
	a, _ := netip.ParseAddr(ip)
	return a
}
