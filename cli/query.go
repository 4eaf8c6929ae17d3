package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/webhooks/jobs"
)

// queryFlags are the filter of a replay (or delete) by query: the admin
// API's own Filter, so the flags and the JSON cannot drift apart.
type queryFlags jobs.Filter

var queryFlagNames = []string{"queue", "state", "since", "until", "status", "error", "event-type", "dry-run", "rate"}

func (q *queryFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&q.Queue, "queue", "", "query: only this queue")
	fl.StringVar(&q.State, "state", "", "query: dead (default), delivered or queued")
	fl.StringVar(&q.Since, "since", "", "query: received since (RFC 3339, or a duration: 2h ago)")
	fl.StringVar(&q.Until, "until", "", "query: received before (RFC 3339, or a duration)")
	fl.StringVar(&q.Status, "status", "", "query: last status, a code (503) or a class (5xx)")
	fl.StringVar(&q.Error, "error", "", "query: a substring of the last error")
	fl.StringVar(&q.EventType, "event-type", "", "query: the event type")
	fl.BoolVar(&q.DryRun, "dry-run", false, "query: count the matching messages, change nothing")
	fl.StringVar(&q.Rate, "rate", "", "query: pace the job (50/s); default: each queue's own rate")
}

// set reports whether a query flag was given.
func (q *queryFlags) set(cmd *cobra.Command) bool {
	for _, name := range queryFlagNames {
		if cmd.Flags().Changed(name) {
			return true
		}
	}
	return false
}

// jobStatus is what GET /webhooks/jobs/{id} answers.
type jobStatus struct {
	State  string `json:"state"`
	Total  int    `json:"total"`
	Done   int    `json:"done"`
	Failed int    `json:"failed"`
	Error  string `json:"error"`
}

// pollEvery is how often a job's progress is read.
var pollEvery = 250 * time.Millisecond

// byQuery runs a replay or delete by query: a dry run prints the count and
// the first ids; a real run starts the job and follows it to its end.
func (f *adminFlags) byQuery(out io.Writer, kind string, q queryFlags) error {
	body, err := json.Marshal(q)
	if err != nil {
		return err
	}
	var ans struct {
		Job       string
		Count     int
		IDs       []string
		Truncated bool
	}
	if _, err := f.doBody(http.MethodPost, "/webhooks/messages/"+kind, bytes.NewReader(body), &ans); err != nil {
		return err
	}
	if ans.Truncated {
		fmt.Fprintln(out, "note: more messages than one query reads; run it again when this one is done")
	}
	if q.DryRun {
		fmt.Fprintf(out, "%d %s match\n", ans.Count, plural(ans.Count, "message", "messages"))
		for _, id := range ans.IDs {
			fmt.Fprintln(out, id)
		}
		if ans.Count > len(ans.IDs) {
			fmt.Fprintf(out, "… and %d more\n", ans.Count-len(ans.IDs))
		}
		return nil
	}
	bar := newProgress(out, kind)
	last := -1
	for {
		var st jobStatus
		if err := f.call(http.MethodGet, "/webhooks/jobs/"+url.PathEscape(ans.Job), &st); err != nil {
			return err
		}
		if st.Done+st.Failed != last || st.State != "running" {
			bar.show(st)
			last = st.Done + st.Failed
		}
		switch st.State {
		case "running":
			time.Sleep(pollEvery)
			continue
		case "failed":
			bar.end()
			return fmt.Errorf("job %s failed: %s", ans.Job, st.Error)
		}
		bar.end()
		past := map[string]string{"replay": "replayed", "delete": "deleted"}[kind]
		fmt.Fprintf(out, "%s %d of %d %s (job %s, %d failed)\n", past, st.Done, st.Total,
			plural(st.Total, "message", "messages"), ans.Job, st.Failed)
		return nil
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// progress draws a bar on a terminal, plain lines elsewhere.
type progress struct {
	out  io.Writer
	kind string
	tty  bool
}

func newProgress(out io.Writer, kind string) *progress {
	p := &progress{out: out, kind: kind}
	if f, ok := out.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

const barWidth = 30

func (p *progress) show(st jobStatus) {
	n := st.Done + st.Failed
	if !p.tty {
		fmt.Fprintf(p.out, "%s: %d/%d (%d failed)\n", p.kind, n, st.Total, st.Failed)
		return
	}
	filled := barWidth
	if st.Total > 0 {
		filled = n * barWidth / st.Total
	}
	fmt.Fprintf(p.out, "\r%s [%s%s] %d/%d (%d failed)", p.kind, strings.Repeat("#", filled),
		strings.Repeat(".", barWidth-filled), n, st.Total, st.Failed)
}

func (p *progress) end() {
	if p.tty {
		fmt.Fprintln(p.out)
	}
}
