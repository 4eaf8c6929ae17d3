package inbound

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/hookgate/dedupe"
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
	resolved := h.Verify.Resolved()
	v, err := resolved.NewVerifier(resolved.Secrets, time.Duration(h.Tolerance))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	h.verifier = v
	h.handshaker, _ = v.(signature.Handshaker)
	return nil
}

// verify checks r's signature; it passes when no scheme is configured. It
// returns the digest of what the signature covers when a key template
// needs it ({signed_digest}), and nil otherwise, to hash nothing for naught.
func (h *Handler) verify(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	switch {
	case h.verifier == nil:
		return nil, nil
	case h.needsDigest:
		return h.verifier.VerifyDigest(r, body, now)
	}
	return nil, h.verifier.Verify(r, body, now)
}

// provisionKeys compiles the dedupe and order_by templates and checks them
// against what the signature covers: {signed_digest} needs a scheme that
// signs content, and a header the signature does not cover is worth a
// warning, since whoever replays a captured request may set it at will.
func (h *Handler) provisionKeys() error {
	var err error
	if h.Dedupe != "" && h.Dedupe != DedupeOff {
		if h.key, err = dedupe.Parse(h.Dedupe); err != nil {
			return err
		}
	}
	if h.OrderBy != "" {
		if h.order, err = dedupe.Parse(h.OrderBy); err != nil {
			return fmt.Errorf("order_by: %w", err)
		}
	}
	for _, t := range []struct {
		option string
		tmpl   *dedupe.Template
	}{{"dedupe", h.key}, {"order_by", h.order}} {
		if t.tmpl == nil {
			continue
		}
		if t.tmpl.UsesSigned() {
			if h.Verify == nil || !h.Verify.SignsContent() {
				return fmt.Errorf("%s: %s needs a verify scheme that signs the request's content", t.option, dedupe.SignedDigest)
			}
			h.needsDigest = true
		}
		if t.option == "dedupe" {
			h.warnUnsignedHeaders(t.tmpl)
		}
	}
	return nil
}

// warnUnsignedHeaders logs each header the dedupe key reads that the
// route's signature does not cover (routes of senders that sign nothing
// are not verified, so they are left alone).
func (h *Handler) warnUnsignedHeaders(t *dedupe.Template) {
	if h.Verify == nil {
		return
	}
	if p, ok := h.Verify.Preset(); ok && !p.Signed {
		return
	}
	signed := h.Verify.SignedHeaders()
	for _, name := range t.Headers() {
		if !slices.Contains(signed, name) {
			h.log.Warn("dedupe key reads a header the signature does not cover: a replay of the same signed request with another value is not a duplicate; key on {signed_digest} or a signed field instead",
				zap.String("route", h.Name), zap.String("header", name), zap.String("dedupe", t.String()))
		}
	}
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
