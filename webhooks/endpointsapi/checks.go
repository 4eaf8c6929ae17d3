package endpointsapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/hookgate/hookgate/queue"
)

// validEndpointID: ids appear in queue names, metrics and admin paths.
var validEndpointID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// checkEndpointID refuses an id that is malformed, or that is its route's
// name: the endpoint's queue would then be the route's own, whose
// idempotency scope holds the submission ids, so every message of a
// submission with an Idempotency-Key would be taken for a duplicate.
func checkEndpointID(route *Route, id string) error {
	switch {
	case !validEndpointID.MatchString(id):
		return apiError(http.StatusBadRequest, "id must be 1 to 64 letters, digits, '_', '.' or '-'")
	case id == route.Name:
		return apiError(http.StatusConflict, "id %q is the name of its route: choose another", id)
	}
	return nil
}

// checkSecret refuses a secret that route's signature scheme cannot sign
// with (a Standard Webhooks secret that is not base64, a key pair scheme
// given an HMAC secret): the endpoint would be stored, then left out of
// delivery, its messages neither delivered nor dead-lettered. The reason
// never quotes the secret.
func checkSecret(route *Route, e *queue.Endpoint, secret string, generated bool) error {
	probe := *e
	probe.Secrets, probe.PreviousUntil = []string{secret}, time.Time{}
	_, err := route.Policy(&probe)
	switch {
	case err == nil:
		return nil
	case generated:
		return apiError(http.StatusBadRequest, "secret: the route's signature scheme cannot sign with a generated secret: give one")
	}
	why := strings.ReplaceAll(err.Error(), secret, "…")
	return apiError(http.StatusBadRequest, "secret: the route's signature scheme cannot sign with it: %s", why)
}

// newSecret returns the given secret, or a generated whsec_ secret (24
// random bytes, base64: what Standard Webhooks receivers expect).
func newSecret(given string) (secret string, generated bool, err error) {
	if given != "" {
		if strings.ContainsAny(given, "{}") {
			// Secrets of the config are placeholders; one given here is a value.
			return "", false, apiError(http.StatusBadRequest, "secret must not contain braces")
		}
		return given, false, nil
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:]), true, nil
}

// applyChange applies the url and events of req to e, checking them.
func applyChange(ctx context.Context, route *Route, e *queue.Endpoint, req endpointRequest) error {
	if req.URL != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := route.Guard.CheckURL(ctx, *req.URL); err != nil {
			return apiError(http.StatusUnprocessableEntity, "url: %v", err)
		}
		e.URL = *req.URL
	}
	if req.Events != nil {
		for _, p := range *req.Events {
			if err := queue.ValidEventPattern(p); err != nil {
				return apiError(http.StatusBadRequest, "%v", err)
			}
		}
		e.Events = *req.Events
	}
	return nil
}
