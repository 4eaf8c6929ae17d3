package awssns

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature/ext"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const topic = "arn:aws:sns:us-west-2:123456789012:MyTopic"

// pki is a CA and a signing certificate generated for the test, the
// certificate served by a loopback TLS server standing in for
// sns.<region>.amazonaws.com (AllowedURL is what the test bypasses).
type pki struct {
	key      *rsa.PrivateKey
	certURL  string
	server   *httptest.Server
	fetches  atomic.Int32
	confirms atomic.Int32
}

func cert(t *testing.T, tmpl, parent *x509.Certificate, pub, signer any) []byte {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	require.NoError(t, err)
	return der
}

func setup(t *testing.T, trusted bool) *pki {
	caKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test root"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caCert, _ := x509.ParseCertificate(cert(t, ca, ca, &caKey.PublicKey, caKey))
	p := &pki{}
	p.key, _ = rsa.GenerateKey(rand.Reader, 2048)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(48 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert(t, leaf, caCert, &p.key.PublicKey, caKey)})
	p.server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, ".pem"):
			p.fetches.Add(1)
			_, _ = w.Write(leafPEM)
		case r.URL.Query().Get("Action") == "ConfirmSubscription":
			p.confirms.Add(1)
			_, _ = w.Write([]byte("<ConfirmSubscriptionResponse/>"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.server.Close)
	p.certURL = p.server.URL + "/SimpleNotificationService-test.pem"
	pool := x509.NewCertPool()
	if trusted {
		pool.AddCert(caCert)
	}
	host, _ := url.Parse(p.server.URL)
	oldAllowed, oldClient, oldRoots, oldCerts := allowedURL, httpClient, roots, certs
	allowedURL = func(u *url.URL) bool { return u.Scheme == "https" && u.Host == host.Host }
	httpClient, roots, certs = p.server.Client(), pool, &ext.Cache{TTL: 24 * time.Hour, Max: 8}
	t.Cleanup(func() { allowedURL, httpClient, roots, certs = oldAllowed, oldClient, oldRoots, oldCerts })
	return p
}

// sign makes a message the way SNS does.
func (p *pki) sign(t *testing.T, m map[string]any, version string) []byte {
	m["SignatureVersion"], m["SigningCertURL"] = version, p.certURL
	var msg Message
	b, _ := json.Marshal(m)
	require.NoError(t, json.Unmarshal(b, &msg))
	sts, err := msg.StringToSign()
	require.NoError(t, err)
	var sig []byte
	if version == "1" {
		sum := sha1.Sum([]byte(sts)) //nolint:gosec
		sig, err = rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA1, sum[:])
	} else {
		sum := sha256.Sum256([]byte(sts))
		sig, err = rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	}
	require.NoError(t, err)
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	b, _ = json.Marshal(m)
	return b
}

func notification() map[string]any {
	return map[string]any{"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		"TopicArn": topic, "Subject": "My First Message", "Message": "Hello world!",
		"Timestamp": t0.Format(time.RFC3339Nano)}
}

func reason(err error) string {
	if e, ok := err.(*ext.Error); ok {
		return e.Reason
	}
	return ""
}

func TestVerify(t *testing.T) {
	p := setup(t, true)
	v, err := New([]string{topic}, time.Hour)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/sns", nil)
	valid := p.sign(t, notification(), "2")
	noSubject := notification()
	delete(noSubject, "Subject")
	edit := func(body []byte, from, to string) []byte { return []byte(strings.Replace(string(body), from, to, 1)) }
	for _, tc := range []struct {
		name string
		body []byte
		now  time.Time
		want string
	}{
		{"SignatureVersion 2 (SHA256withRSA)", valid, t0, ""},
		{"SignatureVersion 1 (SHA1withRSA)", p.sign(t, notification(), "1"), t0, ""},
		{"no Subject", p.sign(t, noSubject, "2"), t0, ""},
		{"tampered message", edit(valid, "Hello world!", "Hello World!"), t0, ext.Mismatch},
		{"tampered id", edit(valid, "22b80b92", "22b80b93"), t0, ext.Mismatch},
		{"version changed", edit(valid, `"SignatureVersion":"2"`, `"SignatureVersion":"1"`), t0, ext.Mismatch},
		{"unknown version", edit(valid, `"SignatureVersion":"2"`, `"SignatureVersion":"3"`), t0, ext.Malformed},
		{"certificate elsewhere", edit(valid, p.certURL, "https://evil.example/cert.pem"), t0, ext.Mismatch},
		{"certificate not .pem", edit(valid, ".pem", ".txt"), t0, ext.Mismatch},
		{"no signature", edit(valid, `"Signature"`, `"Sig"`), t0, ext.Missing},
		{"signature not base64", edit(valid, `"Signature":"`, `"Signature":"%`), t0, ext.Malformed},
		{"stale", valid, t0.Add(time.Hour + time.Second), ext.Stale},
		{"within tolerance", valid, t0.Add(time.Hour), ""},
		{"not json", []byte("Type=Notification"), t0, ext.Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := v.Verify(r, tc.body, tc.now)
			assert.Equal(t, tc.want, reason(err), "%v", err)
			if tc.want == "" {
				assert.Len(t, d, 32)
			}
		})
	}
	assert.Equal(t, int32(1), p.fetches.Load(), "the certificate is fetched once, then cached")

	other, _ := New([]string{"arn:aws:sns:us-west-2:999999999999:TheirTopic"}, time.Hour)
	_, err = other.Verify(r, valid, t0)
	assert.Equal(t, ext.Mismatch, reason(err), "a validly signed message of another topic")

	// The digest is that of the signed string: a redelivery (same message)
	// is a duplicate, whatever the body's layout.
	d1, _ := v.Verify(r, valid, t0)
	var m map[string]any
	require.NoError(t, json.Unmarshal(valid, &m))
	m["UnsignedExtra"] = "x"
	relaid, _ := json.Marshal(m)
	d2, err := v.Verify(r, relaid, t0)
	require.NoError(t, err)
	assert.Equal(t, d1, d2)
}

func TestUntrustedChain(t *testing.T) {
	p := setup(t, false)
	v, _ := New([]string{topic}, time.Hour)
	_, err := v.Verify(httptest.NewRequest(http.MethodPost, "/sns", nil), p.sign(t, notification(), "2"), t0)
	assert.Equal(t, ext.Mismatch, reason(err))
	assert.Contains(t, err.Error(), "chain")
}

func TestSubscriptionConfirmation(t *testing.T) {
	p := setup(t, true)
	v, _ := New([]string{topic}, time.Hour)
	subscribe := p.server.URL + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topic) + "&Token=2336412f37"
	conf := func(subscribeURL string) []byte {
		return p.sign(t, map[string]any{"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
			"Token": "2336412f37", "TopicArn": topic, "SubscribeURL": subscribeURL, "Timestamp": t0.Format(time.RFC3339Nano),
			"Message": "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message."}, "2")
	}
	r := httptest.NewRequest(http.MethodPost, "/sns", nil)
	body := conf(subscribe)
	_, err := v.Verify(r, body, t0)
	require.NoError(t, err)
	rep := v.Handshake(r, body, true)
	require.NotNil(t, rep)
	assert.Equal(t, http.StatusOK, rep.Status)
	assert.Equal(t, int32(1), p.confirms.Load())

	assert.Nil(t, v.Handshake(r, body, false), "an unverified confirmation is not visited")
	assert.Equal(t, int32(1), p.confirms.Load())

	evil := conf("https://evil.example/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topic))
	rep = v.Handshake(r, evil, true)
	require.NotNil(t, rep)
	assert.Equal(t, http.StatusBadRequest, rep.Status, "a SubscribeURL off the SNS hosts is never visited")

	unsub := p.sign(t, map[string]any{"Type": "UnsubscribeConfirmation", "MessageId": "m", "Token": "t", "TopicArn": topic,
		"SubscribeURL": subscribe, "Timestamp": t0.Format(time.RFC3339Nano), "Message": "unsubscribed"}, "2")
	assert.Equal(t, http.StatusOK, v.Handshake(r, unsub, true).Status)
	assert.Nil(t, v.Handshake(r, p.sign(t, notification(), "2"), true), "a notification is no handshake")
	assert.Equal(t, int32(1), p.confirms.Load())
}

func TestAllowedURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem":   true,
		"https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem": true,
		"http://sns.us-east-1.amazonaws.com/x.pem":                                false,
		"https://sns.us-east-1.amazonaws.com.evil.example/x.pem":                  false,
		"https://evilsns.us-east-1.amazonaws.com/x.pem":                           false,
		"https://sns.us-east-1.amazonaws.com:8443/x.pem":                          false,
		"https://user@sns.us-east-1.amazonaws.com/x.pem":                          false,
		"https://s3.amazonaws.com/sns.us-east-1.amazonaws.com/x.pem":              false,
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, want, AllowedURL(u), raw)
	}
	_, err := New(nil, time.Hour)
	assert.ErrorContains(t, err, "topic ARN is required")
}
