// Package awssns verifies Amazon SNS HTTP/S deliveries: JSON messages signed
// with RSA by Amazon (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA),
// whose signing certificate is fetched only from https://sns.<region>.amazonaws.com[.cn]/…pem,
// cached, and checked against the system roots. A message must also name
// the configured topic: SNS signs any topic's messages alike, so without
// that check anyone could subscribe the endpoint to a topic of theirs.
// SubscriptionConfirmation is answered by visiting SubscribeURL, on such a
// host only, once the message verified.
//
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
// https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html
// https://docs.aws.amazon.com/sns/latest/dg/http-subscription-confirmation-json.html
package awssns

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SignatureVersion 1 is SHA1withRSA, as SNS sends it
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/handshake"
)

// snsHost is the host of SNS's certificates and subscription URLs, as the
// AWS SDKs' message validators accept it.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$`)

// AllowedURL reports whether u may be fetched: https on an SNS host.
func AllowedURL(u *url.URL) bool {
	return u.Scheme == "https" && snsHost.MatchString(u.Hostname()) && u.Port() == "" && u.User == nil
}

// Overrides set only by tests (from this package's _test files).
var (
	allowedURL = AllowedURL
	httpClient = ext.Client()
	roots      *x509.CertPool // nil: the system roots
)

// certs caches the signing certificates by URL.
var certs = &ext.Cache{TTL: 24 * time.Hour, Max: 64}

// Message is an SNS message as delivered over HTTP/S.
type Message struct {
	Type, MessageID, Token, TopicArn, Message, Timestamp      string
	Subject                                                   *string
	SubscribeURL, SignatureVersion, Signature, SigningCertURL string
}

func (m *Message) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type, MessageId, Token, TopicArn, Message, Timestamp      string
		Subject                                                   *string
		SubscribeURL, SignatureVersion, Signature, SigningCertURL string
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = Message{raw.Type, raw.MessageId, raw.Token, raw.TopicArn, raw.Message, raw.Timestamp, raw.Subject,
		raw.SubscribeURL, raw.SignatureVersion, raw.Signature, raw.SigningCertURL}
	return nil
}

// StringToSign is what SNS signs: name\nvalue\n for each signed field, in
// byte order of the names; Subject only when present.
func (m *Message) StringToSign() (string, error) {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	switch m.Type {
	case "Notification":
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		if m.Subject != nil {
			add("Subject", *m.Subject)
		}
		add("Timestamp", m.Timestamp)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		add("SubscribeURL", m.SubscribeURL)
		add("Timestamp", m.Timestamp)
		add("Token", m.Token)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	default:
		return "", errors.New("unknown message type")
	}
	return b.String(), nil
}

// Verifier verifies SNS messages of the configured topics.
type Verifier struct {
	Topics []string
	Tol    time.Duration // < 0: no window check
}

// New checks the configuration: at least one topic ARN.
func New(topics []string, tol time.Duration) (*Verifier, error) {
	for _, t := range topics {
		if !strings.HasPrefix(t, "arn:") {
			return nil, errors.New("topic must be an SNS topic ARN (arn:aws:sns:…)")
		}
	}
	if len(topics) == 0 {
		return nil, errors.New("the topic ARN is required: SNS signs every topic's messages, so the topic is what says they are yours")
	}
	return &Verifier{Topics: topics, Tol: tol}, nil
}

func (v *Verifier) parse(body []byte) (*Message, *ext.Error) {
	var m Message
	if json.Unmarshal(body, &m) != nil {
		return nil, ext.Fail(ext.Malformed, "body is not an SNS message")
	}
	if m.Signature == "" || m.SigningCertURL == "" || m.Type == "" {
		return nil, ext.Fail(ext.Missing, "message lacks Type, Signature or SigningCertURL")
	}
	return &m, nil
}

// Verify checks the message in body; the digest is that of the string SNS
// signed (MessageId, Message, Timestamp, TopicArn, …).
func (v *Verifier) Verify(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	m, ferr := v.parse(body)
	if ferr != nil {
		return nil, ferr
	}
	sts, err := m.StringToSign()
	if err != nil {
		return nil, ext.Fail(ext.Malformed, "%v", err)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return nil, ext.Fail(ext.Malformed, "signature is not base64")
	}
	var h crypto.Hash
	var sum []byte
	switch m.SignatureVersion {
	case "1":
		s := sha1.Sum([]byte(sts)) //nolint:gosec
		h, sum = crypto.SHA1, s[:]
	case "2":
		s := sha256.Sum256([]byte(sts))
		h, sum = crypto.SHA256, s[:]
	default:
		return nil, ext.Fail(ext.Malformed, "unknown SignatureVersion")
	}
	u, err := url.Parse(m.SigningCertURL)
	if err != nil || !allowedURL(u) || !strings.HasSuffix(u.Path, ".pem") {
		return nil, ext.Fail(ext.Mismatch, "SigningCertURL is not an https://sns.<region>.amazonaws.com/ certificate")
	}
	cert, err := certificate(r, u, now)
	if err != nil {
		return nil, ext.Fail(ext.Mismatch, "signing certificate: %v", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || rsa.VerifyPKCS1v15(pub, h, sum, sig) != nil {
		return nil, ext.Fail(ext.Mismatch, "signature does not verify")
	}
	if !contains(v.Topics, m.TopicArn) {
		return nil, ext.Fail(ext.Mismatch, "message is from another topic")
	}
	t, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil {
		return nil, ext.Fail(ext.Malformed, "Timestamp cannot be parsed")
	}
	if d := now.Sub(t); v.Tol >= 0 && (d > v.Tol || d < -v.Tol) {
		return nil, ext.Fail(ext.Stale, "message published %s from now, beyond the %s tolerance", d.Round(time.Second), v.Tol)
	}
	digest := sha256.Sum256([]byte(sts))
	return digest[:], nil
}

// certificate fetches (or finds cached) the certificate at u and checks its
// chain against the roots.
func certificate(r *http.Request, u *url.URL, now time.Time) (*x509.Certificate, error) {
	v, err := certs.Get(u.String(), now, func() (any, error) {
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		doc, err := ext.Fetch(r.Context(), httpClient, req)
		if err != nil {
			return nil, err
		}
		var chain []*x509.Certificate
		for rest := doc; ; {
			var blk *pem.Block
			if blk, rest = pem.Decode(rest); blk == nil {
				break
			}
			if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
				chain = append(chain, c)
			}
		}
		if len(chain) == 0 {
			return nil, errors.New("no certificate in the document")
		}
		return chain, nil
	})
	if err != nil {
		return nil, err
	}
	chain := v.([]*x509.Certificate)
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, errors.New("certificate chain does not verify")
	}
	return chain[0], nil
}

// Handshake answers a verified SubscriptionConfirmation by visiting its
// SubscribeURL (on an SNS host only) and a verified UnsubscribeConfirmation
// by acknowledging it; neither is queued.
func (v *Verifier) Handshake(r *http.Request, body []byte, verified bool) *handshake.Reply {
	if !verified || r.Method != http.MethodPost {
		return nil
	}
	m, err := v.parse(body)
	if err != nil {
		return nil
	}
	switch m.Type {
	case "UnsubscribeConfirmation":
		return text(http.StatusOK, "unsubscribe confirmation received")
	case "SubscriptionConfirmation":
	default:
		return nil
	}
	u, perr := url.Parse(m.SubscribeURL)
	if perr != nil || !allowedURL(u) || u.Query().Get("TopicArn") != m.TopicArn {
		return text(http.StatusBadRequest, "SubscribeURL is not on an SNS host of this topic")
	}
	req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	if _, ferr := ext.Fetch(r.Context(), httpClient, req); ferr != nil {
		return text(http.StatusServiceUnavailable, "subscription not confirmed yet")
	}
	return text(http.StatusOK, "subscription confirmed")
}

func text(code int, s string) *handshake.Reply {
	return &handshake.Reply{Status: code, ContentType: "text/plain; charset=utf-8", Body: []byte(s)}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
