// Package adyen verifies Adyen standard webhooks: each NotificationRequestItem
// carries in additionalData.hmacSignature the base64 HMAC-SHA256, under the
// hex-decoded HMAC key, of its fields pspReference, originalReference,
// merchantAccountCode, merchantReference, amount.value, amount.currency,
// eventCode and success joined by ':' (absent fields empty). Every item of
// a notification must verify.
//
// https://docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures
package adyen

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookgate/hookgate/signature/ext"
)

// MaxItems bounds the items verified in one notification.
const MaxItems = 100

// Item is a NotificationRequestItem's signed fields.
type Item struct {
	PspReference        string `json:"pspReference"`
	OriginalReference   string `json:"originalReference"`
	MerchantAccountCode string `json:"merchantAccountCode"`
	MerchantReference   string `json:"merchantReference"`
	Amount              struct {
		Value    json.Number `json:"value"`
		Currency string      `json:"currency"`
	} `json:"amount"`
	EventCode      string `json:"eventCode"`
	Success        string `json:"success"`
	AdditionalData struct {
		HmacSignature string `json:"hmacSignature"`
	} `json:"additionalData"`
}

// Signed is the string the item's signature covers.
func (it *Item) Signed() string {
	return strings.Join([]string{it.PspReference, it.OriginalReference, it.MerchantAccountCode, it.MerchantReference,
		it.Amount.Value.String(), it.Amount.Currency, it.EventCode, it.Success}, ":")
}

// Keys parses the HMAC keys (hex, as the Customer Area shows them).
func Keys(secrets []string) ([][]byte, error) {
	var out [][]byte
	for i, s := range secrets {
		k, err := hex.DecodeString(strings.TrimSpace(s))
		if err != nil || len(k) == 0 {
			return nil, fmt.Errorf("key #%d: want the hex HMAC key of the Customer Area", i+1)
		}
		out = append(out, k)
	}
	return out, nil
}

// Sign returns the base64 signature of it under key.
func Sign(key []byte, it *Item) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(it.Signed()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verifier verifies notifications under any of its keys (rotation).
type Verifier struct{ keys [][]byte }

// New builds a verifier from hex keys.
func New(secrets []string) (*Verifier, error) {
	k, err := Keys(secrets)
	return &Verifier{keys: k}, err
}

// Verify checks every item; the digest is that of the items' signed
// strings, one per line.
func (v *Verifier) Verify(_ *http.Request, body []byte, _ time.Time) ([]byte, error) {
	var n struct {
		NotificationItems []struct {
			NotificationRequestItem *Item
		} `json:"notificationItems"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&n) != nil {
		return nil, ext.Fail(ext.Malformed, "body is not an Adyen notification")
	}
	if len(n.NotificationItems) == 0 {
		return nil, ext.Fail(ext.Missing, "notification has no items")
	}
	if len(n.NotificationItems) > MaxItems {
		return nil, ext.Fail(ext.Malformed, "more than %d items", MaxItems)
	}
	h := sha256.New()
	for i, w := range n.NotificationItems {
		it := w.NotificationRequestItem
		if it == nil || it.AdditionalData.HmacSignature == "" {
			return nil, ext.Fail(ext.Missing, "item %d has no hmacSignature", i+1)
		}
		sig, err := base64.StdEncoding.DecodeString(it.AdditionalData.HmacSignature)
		if err != nil || len(sig) != sha256.Size {
			return nil, ext.Fail(ext.Malformed, "item %d: hmacSignature is not a base64 HMAC-SHA256", i+1)
		}
		signed := it.Signed()
		ok := false
		for _, k := range v.keys {
			m := hmac.New(sha256.New, k)
			m.Write([]byte(signed))
			ok = ok || hmac.Equal(m.Sum(nil), sig)
		}
		if !ok {
			return nil, ext.Fail(ext.Mismatch, "item %d: no configured key matches", i+1)
		}
		h.Write([]byte(signed + "\n"))
	}
	return h.Sum(nil), nil
}
