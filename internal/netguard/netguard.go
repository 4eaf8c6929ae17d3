// Package netguard keeps outbound webhooks away from the gateway's own
// network (SSRF): a destination is refused when it is not https (unless
// allowed) or when any address it resolves to is loopback, private,
// link-local (cloud metadata included), CGNAT, multicast, unspecified or
// otherwise not globally routable, unless an allowed prefix covers it.
// The same rules run twice: at submission, on the resolved name, and at
// connect time on the very address dialled, so that a name whose DNS
// answer changes in between (DNS rebinding) still cannot reach them.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
)

// Rules says which destinations are allowed.
type Rules struct {
	// AllowHTTP allows http:// destinations; otherwise only https://.
	AllowHTTP bool
	// AllowPrivate lists the prefixes that are reachable even though they
	// are blocked by default (e.g. 10.1.0.0/16 for an internal receiver).
	AllowPrivate []netip.Prefix
}

// ErrBlocked is wrapped by every refusal of these rules.
var ErrBlocked = errors.New("destination not allowed")

// blocked are the ranges refused by default. IPv4-mapped and NAT64 forms are
// reduced to their IPv4 address before the check (see Rules.CheckAddr).
var blocked = prefixes(
	"0.0.0.0/8",      // "this network", 0.0.0.0 included
	"10.0.0.0/8",     // private
	"100.64.0.0/10",  // carrier-grade NAT (and Alibaba's metadata 100.100.100.200)
	"127.0.0.0/8",    // loopback
	"169.254.0.0/16", // link-local, cloud metadata 169.254.169.254
	"172.16.0.0/12",  // private
	"192.0.0.0/24",   // IETF protocol assignments
	"192.168.0.0/16", // private
	"198.18.0.0/15",  // benchmarking
	"224.0.0.0/4",    // multicast
	"240.0.0.0/4",    // reserved, broadcast included
	"::/96",          // unspecified, and the deprecated IPv4-compatible form
	"::1/128",        // loopback
	"64:ff9b:1::/48", // local-use NAT64
	"fc00::/7",       // unique local (AWS metadata fd00:ec2::254)
	"fe80::/10",      // link-local
	"fec0::/10",      // deprecated site-local
	"ff00::/8",       // multicast
	"2001:db8::/32",  // documentation
	"100::/64",       // discard-only
	"2001::/32",      // Teredo: embeds an IPv4 address of any kind
	"2002::/16",      // 6to4: embeds an IPv4 address of any kind
)

// nat64 is the well-known NAT64 prefix, whose last 32 bits are an IPv4
// address that a NAT64 gateway would reach.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func prefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// ParsePrefixes parses CIDR prefixes (a bare address is a /32 or /128).
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("allow_private: %q is not a CIDR prefix", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// CheckAddr refuses an address in a blocked range not covered by
// AllowPrivate. An IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d)
// address is judged by the IPv4 address it carries.
func (r *Rules) CheckAddr(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if !a.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrBlocked)
	}
	for _, p := range r.AllowPrivate {
		if p.Contains(a) {
			return nil
		}
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s is in %s (use allow_private to reach it)", ErrBlocked, a, p)
		}
	}
	return nil
}

// CheckURL checks a destination before it is accepted: its scheme, and
// every address its host resolves to.
func (r *Rules) CheckURL(ctx context.Context, raw string) error {
	u, err := r.ParseURL(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		return r.CheckAddr(a)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("%w: resolving %s: %v", ErrBlocked, host, err)
	}
	for _, a := range addrs {
		if err := r.CheckAddr(a); err != nil {
			return fmt.Errorf("%s resolves to a blocked address: %w", host, err)
		}
	}
	return nil
}

// ParseURL checks a destination's form without resolving it: an absolute
// https URL (or http with AllowHTTP), with a host and no credentials.
func (r *Rules) ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%w: want an absolute URL with a host", ErrBlocked)
	case u.User != nil:
		// Credentials would end up in logs and admin listings.
		return nil, fmt.Errorf("%w: credentials in the URL are not accepted", ErrBlocked)
	case u.Scheme == "https", u.Scheme == "http" && r.AllowHTTP:
		return u, nil
	case u.Scheme == "http":
		return nil, fmt.Errorf("%w: http:// is refused, use https:// (or allow_http)", ErrBlocked)
	}
	return nil, fmt.Errorf("%w: scheme %q is not http(s)", ErrBlocked, u.Scheme)
}

// Control is a net.Dialer Control function: it runs after name resolution,
// on the address about to be connected, and refuses blocked ones.
func (r *Rules) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unexpected dial address %q", ErrBlocked, address)
	}
	return r.CheckAddr(ap.Addr())
}
