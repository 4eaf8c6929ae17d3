// Package redisurl parses the address of the Redis store (queue/redis):
// one URL for a standalone server, Sentinels or Cluster nodes, and the
// go-redis options it stands for. Its errors never show a password.
package redisurl

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// URL is a parsed Redis address:
//
//	redis[s]://[user[:password]@]host[:port][,host[:port]…][/db][?master_name=M&cluster=true]
//
// One host is a standalone server; with master_name the hosts are Sentinels;
// several hosts without master_name (or cluster=true) are Cluster nodes.
// Errors never quote the URL or any part parsed from it: a password holding
// an unescaped / ? or # spills into the host, path or query, so any part
// may hold a fragment of it.
type URL struct {
	TLS        bool
	Username   string
	Password   string
	Hosts      []string // host:port
	DB         int
	MasterName string
	Cluster    bool
}

// errUnescapedUserInfo tells an operator why a URL with an "@" past the
// host fails, without showing where: the text around it is the password.
var errUnescapedUserInfo = errors.New("redis url: user or password holds an unescaped / ? or #; percent-encode them (%2F %3F %23)")

// Parse parses raw as a URL.
func Parse(raw string) (*URL, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || (scheme != "redis" && scheme != "rediss") {
		return nil, errors.New("redis url: want redis:// or rediss://")
	}
	u := &URL{TLS: scheme == "rediss"}
	rest, query, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	if spilledUserInfo(authority, path, query) {
		return nil, errUnescapedUserInfo
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		if err := u.setUser(authority[:i]); err != nil {
			return nil, err
		}
		authority = authority[i+1:]
	}
	if err := u.setHosts(authority); err != nil {
		return nil, err
	}
	if err := u.setDB(path); err != nil {
		return nil, err
	}
	if err := u.setQuery(query); err != nil {
		return nil, err
	}
	if u.MasterName == "" && len(u.Hosts) > 1 {
		u.Cluster = true
	}
	if u.Cluster && u.DB != 0 {
		return nil, errors.New("redis url: a cluster has database 0 only")
	}
	return u, nil
}

// spilledUserInfo reports an "@" that ended up past the host: in the
// database path or in the first parameter's name (values such as a
// master_name may hold one).
func spilledUserInfo(authority, path, query string) bool {
	if strings.Contains(authority, "@") {
		return false
	}
	name, _, _ := strings.Cut(query, "=")
	return strings.Contains(path, "@") || strings.Contains(name, "@")
}

func (u *URL) setUser(info string) error {
	user, pass, _ := strings.Cut(info, ":")
	var err1, err2 error
	u.Username, err1 = url.PathUnescape(user)
	u.Password, err2 = url.PathUnescape(pass)
	if err1 != nil || err2 != nil {
		return errors.New("redis url: badly escaped user or password")
	}
	return nil
}

func (u *URL) setHosts(list string) error {
	for i, h := range strings.Split(list, ",") {
		if h == "" {
			return errors.New("redis url: empty host")
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), "6379")
		}
		host, port, err := net.SplitHostPort(h)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || host == "" || n < 1 || n > 65535 {
			return fmt.Errorf("redis url: invalid host or port (host %d of the list)", i+1)
		}
		u.Hosts = append(u.Hosts, h)
	}
	return nil
}

func (u *URL) setDB(path string) error {
	if path == "" {
		return nil
	}
	db, err := strconv.Atoi(path)
	if err != nil || db < 0 {
		return errors.New("redis url: invalid database number (want /0, /1, …)")
	}
	u.DB = db
	return nil
}

func (u *URL) setQuery(query string) error {
	q, err := url.ParseQuery(query)
	if err != nil {
		return errors.New("redis url: invalid query")
	}
	for name, v := range q {
		switch val := v[len(v)-1]; name {
		case "master_name":
			u.MasterName = val
		case "cluster":
			if u.Cluster, err = strconv.ParseBool(val); err != nil {
				return errors.New("redis url: cluster must be true or false")
			}
		default:
			return errors.New("redis url: unknown parameter (want master_name or cluster)")
		}
	}
	return nil
}

// Options returns go-redis options. The password is the servers'; Sentinels
// that require one of their own get it in SentinelPassword.
func (u *URL) Options() *goredis.UniversalOptions {
	o := &goredis.UniversalOptions{
		Addrs: u.Hosts, DB: u.DB, Username: u.Username, Password: u.Password,
		MasterName: u.MasterName, IsClusterMode: u.Cluster,
	}
	if u.TLS {
		host, _, _ := net.SplitHostPort(u.Hosts[0])
		o.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return o
}

// String is the URL without its password, for logs and identities.
func (u *URL) String() string {
	var b strings.Builder
	b.WriteString("redis://")
	if u.TLS {
		b.Reset()
		b.WriteString("rediss://")
	}
	if u.Username != "" {
		b.WriteString(url.PathEscape(u.Username) + "@")
	}
	fmt.Fprintf(&b, "%s/%d", strings.Join(u.Hosts, ","), u.DB)
	q := url.Values{}
	if u.MasterName != "" {
		q.Set("master_name", u.MasterName)
	}
	if u.Cluster && len(u.Hosts) == 1 {
		q.Set("cluster", "true")
	}
	if len(q) > 0 {
		b.WriteString("?" + q.Encode())
	}
	return b.String()
}
