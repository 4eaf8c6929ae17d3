package webhooks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/jobs"
)

// jobStore is a fakeStore that deletes and replays.
type jobStore struct{ *fakeStore }

func (s jobStore) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range s.messages {
		if m.ID == id {
			s.messages = append(s.messages[:i], s.messages[i+1:]...)
			return nil
		}
	}
	return queue.ErrNotFound
}

func (s jobStore) Replay(id string, now time.Time) (*queue.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		if m.ID == id {
			if m.State == queue.StateDead {
				m.State, m.Attempts, m.NextAttempt = queue.StateQueued, 0, now
			}
			c := *m
			return &c, nil
		}
	}
	return nil, queue.ErrNotFound
}

func TestAdminByQuery(t *testing.T) {
	fs := &fakeStore{}
	for i := range 30 {
		fs.messages = append(fs.messages, &queue.Message{ID: fmt.Sprintf("msg_%02d", i), Queue: "q", State: queue.StateDead,
			LastStatus: []int{500, 404, 502}[i%3], ReceivedAt: time.Now().Add(-time.Hour)})
	}
	st := jobStore{fs}
	a := runningApp(t, fs)
	a.shared.st = st
	routes := AdminRoutes(View{})

	for body, want := range map[string]string{
		`{"status":"6xx"}`:   "status",
		`{"state":"queued"}`: "replay takes dead or delivered messages",
		`{"since":"soon"}`:   "since",
		`{"unknown":1}`:      "unknown field",
	} {
		code, _ := serveRoutes(t, routes, http.MethodPost, "/webhooks/messages/replay", body)
		assert.Equal(t, http.StatusBadRequest, code, "%s (%s)", body, want)
	}
	code, _ := serveRoutes(t, routes, http.MethodGet, "/webhooks/messages/replay", "")
	assert.Equal(t, http.StatusMethodNotAllowed, code)

	var dry struct {
		Count int
		IDs   []string
	}
	code, body := serveRoutes(t, routes, http.MethodPost, "/webhooks/messages/replay", `{"status":"5xx","since":"2h","dry_run":true}`)
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &dry))
	assert.Equal(t, 20, dry.Count)
	assert.Len(t, dry.IDs, 20)
	assert.Equal(t, "msg_00", dry.IDs[0])

	// Delete the 404s.
	code, body = serveRoutes(t, routes, http.MethodPost, "/webhooks/messages/delete", `{"status":"404"}`)
	require.Equal(t, http.StatusAccepted, code, body)
	var started struct {
		Job   string
		Count int
	}
	require.NoError(t, json.Unmarshal([]byte(body), &started))
	assert.Equal(t, 10, started.Count)
	var job struct {
		State               string
		Total, Done, Failed int
	}
	require.Eventually(t, func() bool {
		code, body := serveRoutes(t, routes, http.MethodGet, "/webhooks/jobs/"+started.Job, "")
		require.Equal(t, http.StatusOK, code, body)
		require.NoError(t, json.Unmarshal([]byte(body), &job))
		return job.State != "running"
	}, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, "done", job.State)
	assert.Equal(t, 10, job.Done)
	left, _ := fs.List(queue.StateDead, "", 100)
	assert.Len(t, left, 20)
	for _, m := range left {
		assert.NotEqual(t, 404, m.LastStatus, m.ID)
	}
	// A message replayed between the snapshot and its turn is not deleted.
	del := deleteAction(st, queue.StateDead)
	_, err := st.Replay("msg_00", time.Now())
	require.NoError(t, err)
	require.Error(t, del(jobs.Item{ID: "msg_00", Queue: "q"}))
	_, err = st.Get("msg_00")
	require.NoError(t, err, "still there")
	require.NoError(t, del(jobs.Item{ID: "msg_02", Queue: "q"}))

	code, _ = serveRoutes(t, routes, http.MethodGet, "/webhooks/jobs/job_nope", "")
	assert.Equal(t, http.StatusNotFound, code)
}
