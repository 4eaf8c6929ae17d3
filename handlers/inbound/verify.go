package inbound

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/signature"
)

// DedupeOff, as the dedupe template, turns off the preset's default key.
const DedupeOff = "off"

// provisionVerifier builds the verifier of h.Verify and applies its preset's
// defaults: the dedupe key when none is set, and (through NewVerifier) the
// tolerance when none is set. The secrets' placeholders ({env.X},
// {file./path}) are resolved here; their values are never logged nor kept
// in the config.
func (h *Handler) provisionVerifier() error {
	h.failStatus = http.StatusUnauthorized
	if h.Verify == nil {
		return nil
	}
	if p, ok := h.Verify.Preset(); ok && h.Dedupe == "" {
		h.Dedupe = p.DedupeKey
	}
	h.failStatus = h.Verify.FailureStatus()
	repl := caddy.NewReplacer()
	resolved := *h.Verify
	resolved.Secrets = make([]string, len(h.Verify.Secrets))
	for i, s := range h.Verify.Secrets {
		resolved.Secrets[i] = repl.ReplaceAll(s, "")
	}
	resolved.VerifyToken = repl.ReplaceAll(h.Verify.VerifyToken, "")
	v, err := resolved.NewVerifier(resolved.Secrets, time.Duration(h.Tolerance))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	h.verifier = v
	h.handshaker, _ = v.(signature.Handshaker)
	return nil
}

// verify checks r's signature; it passes when no scheme is configured.
func (h *Handler) verify(r *http.Request, body []byte, now time.Time) error {
	if h.verifier == nil {
		return nil
	}
	return h.verifier.Verify(r, body, now)
}

// handshake answers r when it is one of the sender's endpoint checks, which
// are never deduplicated, queued nor forwarded. It reports whether it did.
func (h *Handler) handshake(w http.ResponseWriter, r *http.Request, body []byte, verified bool) (bool, error) {
	if h.handshaker == nil {
		return false, nil
	}
	rep := h.handshaker.Handshake(r, body, verified)
	if rep == nil {
		return false, nil
	}
	result := resultHandshake
	if rep.Status >= 400 {
		result = resultUnauthorized
	}
	h.backend.Received(h.label, result)
	if ce := h.log.Check(zap.InfoLevel, "webhook handshake"); ce != nil {
		ce.Write(zap.String("route", h.label), zap.Int("status", rep.Status))
	}
	w.Header().Set("Content-Type", rep.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(rep.Status)
	_, err := w.Write(rep.Body)
	return true, err
}

// rejectUnverified answers a request whose signature failed, with the
// preset's failure status.
func (h *Handler) rejectUnverified(w http.ResponseWriter, err error) error {
	result := resultUnauthorized
	if signature.ReasonOf(err) == signature.ReasonStale {
		result = resultStale
	}
	return h.reject(w, h.failStatus, result, "invalid signature", err)
}
