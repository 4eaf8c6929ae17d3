package dashboard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// The guard's refusals name no request value: Host, Origin and Referer are
// the sender's to vary, so they never reach an error or a log line.
var (
	errHostNotAllowed   = errors.New("dashboard: host not allowed")
	errOriginNotAllowed = errors.New("dashboard: origin not allowed for a state change")
	errNotFromPage      = errors.New("dashboard: a state change must come from the dashboard page")
	errReadOnly         = errors.New("dashboard: read-only")
)

// hostGuard decides which Host and Origin a dashboard request may carry,
// the way Caddy's admin endpoint does: a page whose DNS name an attacker
// rebinds to this server is same-origin with the dashboard, so only the
// Host header tells it apart.
type hostGuard struct {
	// origins replaces the default when not nil.
	origins []originRule
}

// originRule is one entry of the origins list.
type originRule struct {
	scheme string // "": any
	host   string // lower case, IPv6 without brackets
	port   string // "": any
}

// newHostGuard checks and compiles an origins list; nil keeps the default.
func newHostGuard(origins []string) (hostGuard, error) {
	if origins == nil {
		return hostGuard{}, nil
	}
	if len(origins) == 0 {
		return hostGuard{}, errors.New("origins is empty: it would refuse every request (leave it out for the default)")
	}
	g := hostGuard{origins: make([]originRule, 0, len(origins))}
	for _, o := range origins {
		rule, err := parseOriginRule(o)
		if err != nil {
			return hostGuard{}, err
		}
		g.origins = append(g.origins, rule)
	}
	return g, nil
}

// ValidOrigin reports whether s is a valid entry of the
// dashboard's origins, so the Caddyfile refuses it at adapt time.
func ValidOrigin(s string) error {
	_, err := parseOriginRule(s)
	return err
}

// parseOriginRule reads host, host:port or scheme://host[:port].
func parseOriginRule(s string) (originRule, error) {
	var rule originRule
	hostport := s
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return rule, fmt.Errorf("origin %q: want host, host:port or http(s)://host[:port]", s)
		}
		rule.scheme, hostport = u.Scheme, u.Host
	}
	host, port, ok := splitHost(hostport)
	if !ok || strings.ContainsAny(host, "/@?#*") {
		return rule, fmt.Errorf("origin %q: want host, host:port or http(s)://host[:port]", s)
	}
	rule.host, rule.port = host, port
	return rule, nil
}

// splitHost splits a Host header or URL host into a lower-case host (IPv6
// without brackets) and a port, which may be absent.
func splitHost(hostport string) (host, port string, ok bool) {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
		if strings.Contains(host, ":") {
			if _, err := netip.ParseAddr(host); err != nil {
				return "", "", false // a colon that is neither a port nor IPv6
			}
		}
	}
	if host == "" || strings.Trim(port, "0123456789") != "" {
		return "", "", false
	}
	return strings.ToLower(host), port, true
}

// hostAllowed reports whether the dashboard answers a request sent to
// hostport (its Host header). By default that is a loopback name or an IP
// literal, on any port: no attacker's DNS name is either.
func (g hostGuard) hostAllowed(hostport string) bool {
	host, port, ok := splitHost(hostport)
	if !ok {
		return false
	}
	if g.origins == nil {
		return isLoopbackName(host) || isIPLiteral(host)
	}
	for _, rule := range g.origins {
		if rule.matches(host, port) {
			return true
		}
	}
	return false
}

// matches reports whether host and port (as splitHost gives them) are this
// rule's; without a port, the rule takes any.
func (rule originRule) matches(host, port string) bool {
	return rule.host == host && (rule.port == "" || rule.port == port)
}

// isLoopbackName reports whether host is a name that always resolves to
// this machine.
func isLoopbackName(host string) bool {
	return host == "localhost"
}

func isIPLiteral(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// checkWrite refuses a state change that a page other than the dashboard
// may have sent: cross-site as the browser says, without the header only
// the page's script sends, or from an Origin (else Referer) that is not
// allowed. By default the Origin must be the host the request was sent to
// (same origin): an IP literal is a safe Host but not a safe Origin, since
// an attacker can serve a page from one.
func (g hostGuard) checkWrite(r *http.Request) error {
	if r.Header.Get("X-Hookgate-Dashboard") == "" || r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return errNotFromPage
	}
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errOriginNotAllowed // missing, "null" or not a web origin
	}
	if !g.originAllowed(u.Scheme, u.Host, r.Host) {
		return errOriginNotAllowed
	}
	return nil
}

// originAllowed reports whether an origin (scheme and host[:port]) may
// change state through a request sent to reqHost.
func (g hostGuard) originAllowed(scheme, hostport, reqHost string) bool {
	host, port, ok := splitHost(hostport)
	if !ok {
		return false
	}
	if g.origins == nil {
		reqH, reqP, ok := splitHost(reqHost)
		return ok && host == reqH && port == reqP && g.hostAllowed(reqHost)
	}
	for _, rule := range g.origins {
		if (rule.scheme == "" || rule.scheme == scheme) && rule.matches(host, port) {
			return true
		}
	}
	return false
}
