package signature

import (
	"errors"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/handshake"
	"github.com/hookgate/hookgate/signature/template"
)

// external is the ExternalSpec of a scheme (see External).
type external = ExternalSpec

func (e *external) field(c Config, name string) string {
	return map[string]string{"audience": c.Audience, "account": c.Account, "environment": c.Environment}[name]
}

// validate checks c against the scheme; e is nil for schemes that are not
// external, where none of the external fields applies.
func (e *external) validate(c Config) error {
	for _, f := range []string{"audience", "account", "environment"} {
		if e.field(c, f) != "" && (e == nil || !contains(e.Fields, f)) {
			return c.errorf("%s does not apply to this scheme", f)
		}
	}
	if e == nil {
		return nil
	}
	for _, f := range e.Required {
		if e.field(c, f) == "" {
			return c.errorf("%s is required", f)
		}
	}
	switch {
	case c.VerifyToken != "":
		return c.errorf("verify_token does not apply to this scheme")
	case e.Secret == "" && len(c.Secrets) > 0:
		return c.errorf("this scheme takes no secret")
	case e.Secret != "" && len(c.Secrets) == 0:
		return c.errorf("at least one secret is required: %s", e.Secret)
	}
	return nil
}

// compile marks what the scheme covers: a body-covering scheme gets the
// {body} template, so that keys on body fields are accepted.
func (e *external) compile(sc *scheme) *scheme {
	if e == nil {
		return sc
	}
	sc.timed = e.Timed
	if e.Covers {
		sc.tmpl, _ = template.Compile("{body}")
	}
	return sc
}

func (e *external) newVerifier(c Config, secrets []string, tol time.Duration) (Verifier, error) {
	c.Secrets = secrets // the resolved values stand for the placeholders
	if err := e.validate(c); err != nil {
		return nil, err
	}
	if e.Secret != "" && len(secrets) == 0 {
		return nil, c.errorf("%v", errNoSecret)
	}
	v, err := e.Verifier(c, secrets, tol)
	if err != nil {
		return nil, c.errorf("%v", err)
	}
	if hs, ok := v.(handshake.Handshaker); ok {
		return extHandshaker{extVerifier{v}, hs}, nil
	}
	return extVerifier{v}, nil
}

func (e *external) newSigner(c Config, secrets []string) (Signer, error) {
	if e.Signer == nil {
		return nil, c.errorf("%s", e.NoSign)
	}
	if len(secrets) == 0 {
		return nil, c.errorf("%v", errNoSecret)
	}
	return e.Signer(c, secrets)
}

// extVerifier adapts a sub-package's verifier to Verifier.
type extVerifier struct{ v ext.Verifier }

func (e extVerifier) Verify(r *http.Request, body []byte, now time.Time) error {
	_, err := e.v.Verify(r, body, now)
	return fromExt(err)
}

func (e extVerifier) VerifyDigest(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	d, err := e.v.Verify(r, body, now)
	if err != nil {
		return nil, fromExt(err)
	}
	return d, nil
}

type extHandshaker struct {
	extVerifier
	hs handshake.Handshaker
}

func (e extHandshaker) Handshake(r *http.Request, body []byte, verified bool) *Reply {
	return e.hs.Handshake(r, body, verified)
}

// fromExt turns a sub-package's failure into an *Error; any other error
// (a key that cannot be fetched) is a mismatch.
func fromExt(err error) error {
	if err == nil {
		return nil
	}
	var e *ext.Error
	if errors.As(err, &e) {
		return &Error{Reason: Reason(e.Reason), Detail: e.Detail}
	}
	return &Error{Reason: ReasonMismatch, Detail: err.Error()}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
