package webhooks

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hookgate/hookgate/delivery"
)

func TestRecentAttemptsNewestFirstAndBounded(t *testing.T) {
	var r recentAttempts
	assert.Empty(t, r.list())
	for i := range recentSize + 5 {
		r.add(delivery.Attempt{Status: i})
	}
	got := r.list()
	assert.Len(t, got, recentSize)
	assert.Equal(t, recentSize+4, got[0].Status)
	assert.Equal(t, 5, got[recentSize-1].Status)
}
