package webhooks

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hookgate/hookgate/queue"
)

func TestEndpointSetMerged(t *testing.T) {
	var s endpointSet
	r := &OutboundRoute{Name: "events", Endpoints: []queue.Endpoint{
		{ID: "crm", Route: "events", URL: "https://crm.example.com/", Config: true},
	}}
	now := time.Now()
	changed := s.replace([]*queue.Endpoint{
		{ID: "crm", Route: "events", Config: true, Disabled: true, DisabledReason: "gone"},
		{ID: "api1", Route: "events", URL: "https://a.example.com/", Secrets: []string{"whsec_x"}},
		{ID: "other", Route: "elsewhere", URL: "https://o.example.com/"},
	}, now)
	assert.True(t, changed)
	got := s.merged(r, false)
	assert.Len(t, got, 2)
	assert.Equal(t, "api1", got[0].ID)
	assert.Empty(t, got[0].Secrets, "no secrets unless asked")
	assert.Equal(t, "crm", got[1].ID)
	assert.True(t, got[1].Disabled)
	assert.Equal(t, "https://crm.example.com/", got[1].URL, "the config's URL, the store's state")
	assert.Equal(t, []string{"whsec_x"}, s.merged(r, true)[0].Secrets)
}

func TestEndpointSetRefreshNoticesGraceEnd(t *testing.T) {
	var s endpointSet
	now := time.Now()
	list := []*queue.Endpoint{{ID: "a", Route: "r", Secrets: []string{"new", "old"}, PreviousUntil: now.Add(time.Minute)}}
	assert.True(t, s.replace(list, now))
	assert.False(t, s.replace(list, now.Add(30*time.Second)), "nothing changed")
	assert.True(t, s.replace(list, now.Add(2*time.Minute)), "the old secret stops signing")
	assert.False(t, s.replace(list, now.Add(3*time.Minute)))
}

func TestEndpointFailuresCount(t *testing.T) {
	var s endpointSet
	assert.Equal(t, 1, s.count("a", false))
	assert.Equal(t, 2, s.count("a", false))
	assert.Equal(t, 0, s.count("a", true))
	assert.Equal(t, 1, s.count("a", false))
}
