package adyen

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature/ext"
)

// Adyen's published example: HMAC key, notification item and signature, from
// https://docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures
// (also the test vector of Adyen's API libraries' HMACValidator tests).
const (
	docKey  = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
	docBody = `{"live":"false","notificationItems":[{"NotificationRequestItem":{` +
		`"additionalData":{"hmacSignature":"coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="},` +
		`"amount":{"value":1130,"currency":"EUR"},"pspReference":"7914073381342284","eventCode":"AUTHORISATION",` +
		`"merchantAccountCode":"TestMerchant","merchantReference":"TestPayment-1407325143704","paymentMethod":"visa","success":"true"}}]}`
)

func reason(err error) string {
	if e, ok := err.(*ext.Error); ok {
		return e.Reason
	}
	return ""
}

func TestAdyen(t *testing.T) {
	v, err := New([]string{docKey})
	require.NoError(t, err)
	other, err := New([]string{hex.EncodeToString([]byte("another key of 32 bytes, in hex."))})
	require.NoError(t, err)
	rotated, err := New([]string{hex.EncodeToString([]byte("old")), docKey})
	require.NoError(t, err)
	two := strings.Replace(docBody, `]}`, `,`+docBody[strings.Index(docBody, `{"NotificationRequestItem"`):len(docBody)-2]+`]}`, 1)
	for _, tc := range []struct {
		name, body string
		v          *Verifier
		want       string
	}{
		{"published vector", docBody, v, ""},
		{"rotation: second key", docBody, rotated, ""},
		{"two items", two, v, ""},
		{"tampered amount", strings.Replace(docBody, "1130", "1131", 1), v, ext.Mismatch},
		{"tampered success", strings.Replace(docBody, `"success":"true"`, `"success":"false"`, 1), v, ext.Mismatch},
		{"wrong key", docBody, other, ext.Mismatch},
		{"no signature", strings.Replace(docBody, "hmacSignature", "other", 1), v, ext.Missing},
		{"signature not base64", strings.Replace(docBody, "coqCmt/", "%%%%%%", 1), v, ext.Malformed},
		{"no items", `{"live":"false","notificationItems":[]}`, v, ext.Missing},
		{"not json", `live=false`, v, ext.Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.v.Verify(nil, []byte(tc.body), time.Now())
			assert.Equal(t, tc.want, reason(err), "%v", err)
			if tc.want == "" {
				assert.Len(t, d, 32)
			}
		})
	}
	_, err = New([]string{"not hex"})
	assert.ErrorContains(t, err, "hex HMAC key")
	assert.NotContains(t, err.Error(), "not hex")
}

func TestAdyenSignRoundTrip(t *testing.T) {
	key, _ := hex.DecodeString(docKey)
	it := &Item{PspReference: "7914073381342284", MerchantAccountCode: "TestMerchant",
		MerchantReference: "TestPayment-1407325143704", EventCode: "AUTHORISATION", Success: "true"}
	it.Amount.Value, it.Amount.Currency = "1130", "EUR"
	assert.Equal(t, "7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true", it.Signed())
	assert.Equal(t, "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=", Sign(key, it))
}
