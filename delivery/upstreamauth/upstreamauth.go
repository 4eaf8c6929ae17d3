// Package upstreamauth authenticates deliveries to an upstream: a static
// bearer token, or an OAuth 2.0 client-credentials token that is fetched
// once, cached until shortly before it expires and fetched again when the
// upstream answers 401. Tokens and secrets are resolved from placeholders
// at provisioning, kept in memory only, and never logged: they are neither
// part of the JSON config (which holds the placeholders) nor of any error.
package upstreamauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Config says how deliveries authenticate to the upstream: exactly one of
// Bearer and OAuth2.
type Config struct {
	// Bearer is a static token sent as "Authorization: Bearer <token>",
	// normally a placeholder ({env.X}, {file./path}) resolved at
	// provisioning.
	Bearer string `json:"bearer,omitempty"`
	// OAuth2 fetches a token with the client-credentials grant.
	OAuth2 *OAuth2 `json:"oauth2,omitempty"`
}

// OAuth2 is a client-credentials grant (RFC 6749 §4.4).
type OAuth2 struct {
	// TokenURL is the authorization server's token endpoint.
	TokenURL string `json:"token_url"`
	// ClientID identifies Hookgate to the authorization server; may be a
	// placeholder.
	ClientID string `json:"client_id"`
	// ClientSecret is its secret, normally a placeholder ({env.X},
	// {file./path}).
	ClientSecret string `json:"client_secret,omitempty"`
	// Scopes requested, if any.
	Scopes []string `json:"scopes,omitempty"`
}

// Validate checks the config without resolving its placeholders.
func (c *Config) Validate() error {
	switch {
	case (c.Bearer == "") == (c.OAuth2 == nil):
		return errors.New("auth: set one of bearer and oauth2")
	case c.OAuth2 != nil && c.OAuth2.ClientID == "":
		return errors.New("auth oauth2: client_id is required")
	case c.OAuth2 != nil:
		u, err := url.Parse(c.OAuth2.TokenURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("auth oauth2: token_url must be an http:// or https:// URL with a host")
		}
	}
	return nil
}

// Refresh is how much earlier than its expiry a cached token is fetched
// again, so that a token never expires on its way to the upstream.
const Refresh = 30 * time.Second

// tokenTimeout bounds one request to the token endpoint.
const tokenTimeout = 10 * time.Second

// Source hands out the current token. It is safe for concurrent use.
type Source struct {
	static string                    // bearer
	cc     *clientcredentials.Config // oauth2
	client *http.Client              // to the token endpoint
	now    func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time // zero: until the upstream refuses it
}

// New resolves c's placeholders and returns its token source.
func New(c *Config) (*Source, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	repl := caddy.NewReplacer()
	s := &Source{now: time.Now, client: &http.Client{Timeout: tokenTimeout}}
	if c.OAuth2 == nil {
		if s.static = strings.TrimSpace(repl.ReplaceAll(c.Bearer, "")); s.static == "" {
			return nil, errors.New("auth bearer: the token is empty (is its placeholder set?)")
		}
		return s, nil
	}
	s.cc = &clientcredentials.Config{
		TokenURL:     c.OAuth2.TokenURL,
		ClientID:     repl.ReplaceAll(c.OAuth2.ClientID, ""),
		ClientSecret: repl.ReplaceAll(c.OAuth2.ClientSecret, ""),
		Scopes:       c.OAuth2.Scopes,
	}
	if s.cc.ClientID == "" {
		return nil, errors.New("auth oauth2: client_id is empty (is its placeholder set?)")
	}
	return s, nil
}

// Token returns the cached token, fetching one when there is none or it
// is about to expire. An error is the token endpoint's: the attempt did
// not reach the upstream, and may be retried.
func (s *Source) Token(ctx context.Context) (string, error) {
	if s.cc == nil {
		return s.static, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && (s.expires.IsZero() || s.now().Before(s.expires.Add(-Refresh))) {
		return s.token, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	t, err := s.cc.Token(ctx)
	if err != nil {
		return "", tokenError(err)
	}
	s.token, s.expires = t.AccessToken, t.Expiry
	return s.token, nil
}

// invalidate drops token from the cache, if it is still the cached one, so
// that the next Token fetches a new one.
func (s *Source) invalidate(token string) bool {
	if s.cc == nil {
		return false // a static token cannot be renewed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == token {
		s.token = ""
	}
	return true
}

// tokenError describes a failed token request without what the endpoint
// answered (which may echo the client's credentials) nor the endpoint's
// path and query.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return fmt.Errorf("oauth2 token endpoint refused: %s", re.ErrorCode)
		}
		if re.Response != nil {
			return fmt.Errorf("oauth2 token endpoint answered %d", re.Response.StatusCode)
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			return fmt.Errorf("oauth2 token endpoint %s://%s: %v", u.Scheme, u.Host, ue.Err)
		}
	}
	return fmt.Errorf("oauth2 token: %w", err)
}

// Transport returns base with each request authenticated by s. On a 401
// from the upstream with an OAuth2 token, it fetches a new token and sends
// the request once more.
func (s *Source) Transport(base http.RoundTripper) http.RoundTripper {
	return &transport{base: base, src: s}
}

type transport struct {
	base http.RoundTripper
	src  *Source
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	token, err := t.src.Token(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(authorized(req, token))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !t.src.invalidate(token) {
		return resp, err
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil // the body cannot be sent again
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if token, err = t.src.Token(req.Context()); err != nil {
		return nil, err
	}
	retry := authorized(req, token)
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return t.base.RoundTrip(retry)
}

// authorized is a copy of req with the token in its Authorization header;
// req itself (and the message it came from) never holds the token.
func authorized(req *http.Request, token string) *http.Request {
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", "Bearer "+token)
	return out
}
