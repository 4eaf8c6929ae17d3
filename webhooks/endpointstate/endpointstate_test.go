package endpointstate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

func TestEndpointSetMerged(t *testing.T) {
	var s Set
	config := []queue.Endpoint{{ID: "crm", Route: "events", URL: "https://crm.example.com/", Config: true}}
	now := time.Now()
	changed := s.Replace([]*queue.Endpoint{
		{ID: "crm", Route: "events", Config: true, Disabled: true, DisabledReason: "gone"},
		{ID: "api1", Route: "events", URL: "https://a.example.com/", Secrets: []string{"whsec_x"}},
		{ID: "other", Route: "elsewhere", URL: "https://o.example.com/"},
	}, now)
	assert.True(t, changed)
	got := s.Merged("events", config, false)
	assert.Len(t, got, 2)
	assert.Equal(t, "api1", got[0].ID)
	assert.Empty(t, got[0].Secrets, "no secrets unless asked")
	assert.Equal(t, "crm", got[1].ID)
	assert.True(t, got[1].Disabled)
	assert.Equal(t, "https://crm.example.com/", got[1].URL, "the config's URL, the store's state")
	assert.Equal(t, []string{"whsec_x"}, s.Merged("events", config, true)[0].Secrets)
}

func TestEndpointSetRefreshNoticesGraceEnd(t *testing.T) {
	var s Set
	now := time.Now()
	list := []*queue.Endpoint{{ID: "a", Route: "r", Secrets: []string{"new", "old"}, PreviousUntil: now.Add(time.Minute)}}
	assert.True(t, s.Replace(list, now))
	assert.False(t, s.Replace(list, now.Add(30*time.Second)), "nothing changed")
	assert.True(t, s.Replace(list, now.Add(2*time.Minute)), "the old secret stops signing")
	assert.False(t, s.Replace(list, now.Add(3*time.Minute)))
}

func TestEndpointFailuresCount(t *testing.T) {
	var s Set
	assert.Equal(t, 1, s.Count("a", false))
	assert.Equal(t, 2, s.Count("a", false))
	assert.Equal(t, 0, s.Count("a", true))
	assert.Equal(t, 1, s.Count("a", false))
}

// TestAttemptDecides: a 410 disables at once, DisableAfter failures in a
// row disable, a success starts the run again, a queue that is no
// endpoint's is not followed.
func TestAttemptDecides(t *testing.T) {
	var s Set
	s.SetRefs(map[string]Ref{"q.a": {ID: "a", Route: "r", DisableAfter: 2}})
	attempt := func(q string, outcome delivery.Outcome, status int) (string, bool) {
		ref, reason, _, disable := s.Attempt(delivery.Attempt{Queue: q, Outcome: outcome, Status: status})
		if disable {
			assert.Equal(t, "a", ref.ID)
		}
		return reason, disable
	}
	reason, disable := attempt("q.a", delivery.Retry, 410)
	assert.True(t, disable)
	assert.Equal(t, "gone", reason)
	_, disable = attempt("q.a", delivery.Delivered, 200)
	assert.False(t, disable)
	_, disable = attempt("q.a", delivery.Retry, 500)
	assert.False(t, disable)
	reason, disable = attempt("q.a", delivery.Dead, 500)
	assert.True(t, disable)
	assert.Equal(t, "failing", reason)
	_, disable = attempt("other", delivery.Retry, 410)
	assert.False(t, disable)
}
