package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/internal/limit"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/jobs"
)

// The replay and delete by query (the engine is webhooks/jobs):
//
//	POST /webhooks/messages/replay   {filter}  202 {"job": id, "count": n}
//	POST /webhooks/messages/delete   {filter}  202 {"job": id, "count": n}
//	GET  /webhooks/jobs/{id}                   the job's progress
//
// With "dry_run": true either answers 200 {"count": n, "ids": [first 20]}
// and changes nothing.

// runningJobs are the jobs of every config: they outlive a reload.
var runningJobs = jobs.NewRegistry()

// dryRunIDs is how many ids a dry run shows.
const dryRunIDs = 20

func (a adminAPI) jobRoutes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/webhooks/messages/replay", Handler: caddy.AdminHandlerFunc(a.replayQuery)},
		{Pattern: "/webhooks/messages/delete", Handler: caddy.AdminHandlerFunc(a.deleteQuery)},
		{Pattern: "/webhooks/jobs/", Handler: caddy.AdminHandlerFunc(a.job)},
	}
}

func (a adminAPI) replayQuery(w http.ResponseWriter, r *http.Request) error {
	return a.byQuery(w, r, "replay")
}

func (a adminAPI) deleteQuery(w http.ResponseWriter, r *http.Request) error {
	return a.byQuery(w, r, "delete")
}

// byQuery snapshots the messages that match the filter and, unless it is a
// dry run, starts a job of kind on them.
func (adminAPI) byQuery(w http.ResponseWriter, r *http.Request, kind string) error {
	s, app, err := adminStore(r, http.MethodPost)
	if err != nil {
		return err
	}
	var f jobs.Filter
	if err := decodeBody(r, &f); err != nil {
		return err
	}
	q, err := f.Compile(time.Now())
	if err != nil {
		return apiError(http.StatusBadRequest, "%v", err)
	}
	if kind == "replay" && q.State == queue.StateQueued {
		return apiError(http.StatusBadRequest, "replay takes dead or delivered messages, not queued ones")
	}
	items, truncated, err := jobs.Snapshot(s, q)
	if err != nil {
		return apiError(http.StatusInternalServerError, "listing messages: %v", err)
	}
	if q.DryRun {
		ids := make([]string, 0, min(len(items), dryRunIDs))
		for _, it := range items[:min(len(items), dryRunIDs)] {
			ids = append(ids, it.ID)
		}
		return httpx.WriteJSON(w, http.StatusOK, queryAnswer{Count: len(items), IDs: ids, Truncated: truncated})
	}
	rates := map[string]*limit.Rate{}
	for name, p := range app.policies {
		rates[name] = p.Rate
	}
	pace := jobs.Pace(q.Rate, func(name string) *limit.Rate { return rates[name] })
	act := replayAction(s, app.shared)
	if kind == "delete" {
		act = deleteAction(s, q.State)
	}
	j := runningJobs.Start(context.Background(), kind, items, pace, act)
	return httpx.WriteJSON(w, http.StatusAccepted, queryAnswer{Job: j.Status().ID, Count: len(items), Truncated: truncated})
}

// queryAnswer answers a replay or delete by query.
type queryAnswer struct {
	Job       string   `json:"job,omitempty"`
	Count     int      `json:"count"`
	IDs       []string `json:"ids,omitempty"`
	Truncated bool     `json:"truncated,omitempty"` // more messages than one query reads
}

// stopOnClosed makes a closed store stop a job.
func stopOnClosed(err error) error {
	if errors.Is(err, queue.ErrClosed) {
		return fmt.Errorf("%w: %v", jobs.ErrStop, err)
	}
	return err
}

// replayAction queues a message again; one that is not dead (or
// delivered) any more is left as it is.
func replayAction(s queue.Store, shared *openStore) jobs.Action {
	return func(it jobs.Item) error {
		m, err := s.Replay(it.ID, time.Now())
		if err != nil {
			return stopOnClosed(err)
		}
		shared.wake(m.Queue)
		return nil
	}
}

// deleteAction deletes a message still in the state it was matched in: one
// replayed meanwhile is not deleted (and counts as failed).
func deleteAction(s queue.Store, state queue.State) jobs.Action {
	return func(it jobs.Item) error {
		m, err := s.Get(it.ID)
		if err != nil {
			return stopOnClosed(err)
		}
		if m.State != state {
			return fmt.Errorf("message %s is %s now", it.ID, m.State)
		}
		return stopOnClosed(s.Delete(it.ID))
	}
}

// job serves GET /webhooks/jobs/{id}.
func (adminAPI) job(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return apiError(http.StatusMethodNotAllowed, "method %s not allowed", r.Method)
	}
	id := strings.TrimPrefix(r.URL.Path, "/webhooks/jobs/")
	j, ok := runningJobs.Get(id)
	if !ok {
		return apiError(http.StatusNotFound, "job %q not found (the last %d are kept)", id, jobs.Keep)
	}
	return httpx.WriteJSON(w, http.StatusOK, j.Status())
}
