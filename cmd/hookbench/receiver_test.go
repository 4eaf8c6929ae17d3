package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReceiverCountsAndDelays(t *testing.T) {
	r, err := StartReceiver(50 * time.Millisecond)
	require.NoError(t, err)
	defer r.Close()
	t0 := time.Now()
	resp, err := http.Post("http://"+r.Addr()+"/x", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.GreaterOrEqual(t, time.Since(t0), 50*time.Millisecond)
	assert.Equal(t, int64(1), r.Delivered())
}
