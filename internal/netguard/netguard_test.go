package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckAddr(t *testing.T) {
	var r Rules
	for _, tc := range []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1", true},
		{"127.5.6.7", true},
		{"::1", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"172.32.0.1", false},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // AWS/GCP/Azure metadata
		{"fd00:ec2::254", true},   // AWS metadata over IPv6
		{"100.100.100.200", true}, // Alibaba metadata (CGNAT range)
		{"100.64.0.1", true},
		{"100.128.0.1", false},
		{"0.0.0.0", true},
		{"::", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"ff02::1", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"fc00::1", true},
		{"::ffff:127.0.0.1", true},       // IPv4-mapped loopback
		{"::ffff:169.254.169.254", true}, // IPv4-mapped metadata
		{"::127.0.0.1", true},            // IPv4-compatible
		{"64:ff9b::a9fe:a9fe", true},     // NAT64 of 169.254.169.254
		{"64:ff9b::808:808", false},      // NAT64 of 8.8.8.8
		{"2002:7f00:1::", true},          // 6to4 of 127.0.0.1
		{"8.8.8.8", false},
		{"93.184.216.34", false},
		{"::ffff:8.8.8.8", false},
		{"2606:4700:4700::1111", false},
	} {
		err := r.CheckAddr(netip.MustParseAddr(tc.addr))
		assert.Equal(t, tc.blocked, err != nil, "%s: %v", tc.addr, err)
		if err != nil {
			assert.ErrorIs(t, err, ErrBlocked)
		}
	}
}

func TestAllowPrivate(t *testing.T) {
	allowed, err := ParsePrefixes([]string{"127.0.0.0/8", "10.1.0.0/16", "fd00::1"})
	require.NoError(t, err)
	r := Rules{AllowPrivate: allowed}
	for addr, ok := range map[string]bool{
		"127.0.0.1": true, "::ffff:127.0.0.1": true, "10.1.9.9": true, "fd00::1": true,
		"10.2.0.1": false, "169.254.169.254": false, "::1": false, "fd00::2": false,
	} {
		assert.Equal(t, ok, r.CheckAddr(netip.MustParseAddr(addr)) == nil, addr)
	}
	_, err = ParsePrefixes([]string{"10.0.0.0/33"})
	assert.Error(t, err)
}

func TestParseURL(t *testing.T) {
	strict, lax := Rules{}, Rules{AllowHTTP: true}
	for raw, want := range map[string][2]bool{ // [strict ok, allow_http ok]
		"https://example.com/hooks":   {true, true},
		"http://example.com/hooks":    {false, true},
		"ftp://example.com/":          {false, false},
		"https://user:pw@example.com": {false, false},
		"/relative":                   {false, false},
		"https://":                    {false, false},
	} {
		_, err := strict.ParseURL(raw)
		assert.Equal(t, want[0], err == nil, "strict %s: %v", raw, err)
		_, err = lax.ParseURL(raw)
		assert.Equal(t, want[1], err == nil, "allow_http %s: %v", raw, err)
	}
}

func TestCheckURLResolves(t *testing.T) {
	r := Rules{AllowHTTP: true}
	err := r.CheckURL(context.Background(), "http://localhost:8080/")
	assert.ErrorIs(t, err, ErrBlocked, "localhost resolves to loopback")
	assert.ErrorIs(t, r.CheckURL(context.Background(), "https://[::1]/"), ErrBlocked)
	assert.ErrorIs(t, r.CheckURL(context.Background(), "http://169.254.169.254/latest/meta-data"), ErrBlocked)
	assert.NoError(t, r.CheckURL(context.Background(), "https://93.184.216.34/"))
}

// TestControlRefusesAtDial shows the connect-time check: the dialer is
// refused for a loopback listener unless allow_private covers it.
func TestControlRefusesAtDial(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var strict Rules
	d := net.Dialer{Control: strict.Control}
	_, err = d.Dial("tcp", l.Addr().String())
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrBlocked), err)

	allowed, _ := ParsePrefixes([]string{"127.0.0.0/8"})
	lax := Rules{AllowPrivate: allowed}
	d.Control = lax.Control
	c, err := d.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	c.Close()
}

// FuzzParseURL: whatever a destination header holds, ParseURL never panics;
// what it accepts is http(s) with a host and no credentials, and every
// refusal is an ErrBlocked (the handler's 422).
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/hooks", "http://example.com", "https://user:pw@example.com",
		"https://[::1]:8443/x", "https://%zz", "//example.com", "https://:80", "javascript:alert(1)",
		"https://example.com\r\nX: y", "https://[fe80::1%25eth0]/", "HTTPS://EXAMPLE.COM",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, allowHTTP bool) {
		u, err := (&Rules{AllowHTTP: allowHTTP}).ParseURL(raw)
		if err != nil {
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("%q: refusal %v is not ErrBlocked", raw, err)
			}
			return
		}
		if u.Hostname() == "" || u.User != nil {
			t.Fatalf("%q accepted without a host or with credentials", raw)
		}
		if u.Scheme != "https" && (u.Scheme != "http" || !allowHTTP) {
			t.Fatalf("%q accepted with scheme %q (allow_http %v)", raw, u.Scheme, allowHTTP)
		}
	})
}
