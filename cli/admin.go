package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/queue"
)

// adminFlags find the admin endpoint as `caddy reload` does: --address, else
// the admin address of --config, else Caddy's default.
type adminFlags struct{ address, config, adapter string }

func (f *adminFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.address, "address", "", "the admin API's address")
	fl.StringVarP(&f.config, "config", "c", "", "a config file to read the admin address from")
	fl.StringVarP(&f.adapter, "adapter", "a", "", "the config file's adapter")
}

// call makes an admin API request and decodes a JSON answer into out.
func (f *adminFlags) call(method, uri string, out any) error {
	_, err := f.do(method, uri, out)
	return err
}

// do is call that also returns the answer's headers.
func (f *adminFlags) do(method, uri string, out any) (http.Header, error) {
	return f.doBody(method, uri, nil, out)
}

// doBody is do with a request body (JSON).
func (f *adminFlags) doBody(method, uri string, body io.Reader, out any) (http.Header, error) {
	addr, err := caddycmd.DetermineAdminAPIAddress(f.address, nil, f.config, f.adapter)
	if err != nil {
		return nil, err
	}
	resp, err := caddycmd.AdminAPIRequest(addr, method, uri, nil, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Header, nil
	}
	return resp.Header, json.NewDecoder(resp.Body).Decode(out)
}

// listedMessage is what the admin API lists of a message.
type listedMessage struct {
	ID          string    `json:"id"`
	Queue       string    `json:"queue"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	ReceivedAt  time.Time `json:"received_at"`
	NextAttempt time.Time `json:"next_attempt"`
	DeadAt      time.Time `json:"dead_at"`
	LastStatus  int       `json:"last_status"`
	LastError   string    `json:"last_error"`
}

func (f *adminFlags) list(state, queue string, limit int) ([]listedMessage, error) {
	q := url.Values{"state": {state}, "limit": {strconv.Itoa(limit)}}
	if queue != "" {
		q.Set("queue", queue)
	}
	var answer struct{ Messages []listedMessage }
	err := f.call(http.MethodGet, "/webhooks/messages?"+q.Encode(), &answer)
	return answer.Messages, err
}

func messagesCommand() *cobra.Command {
	var f adminFlags
	var dead bool
	var route string
	var limit int
	cmd := &cobra.Command{
		Use:   "messages [--dead] [--route <name>]",
		Short: "List queued or dead messages",
		Args:  cobra.NoArgs,
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&dead, "dead", false, "list the dead-letter queue")
	cmd.Flags().StringVar(&route, "route", "", "only this route's queues (its name, or its upstream URL; a fan-out route's upstreams too), or one queue (\"route>upstream\")")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many (1-1000)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		state := "queued"
		if dead {
			state = "dead"
		}
		queues := []string{route}
		if route != "" {
			stats, _, err := f.stats()
			if err != nil {
				return err
			}
			queues = routeQueues(route, stats)
		}
		var msgs []listedMessage
		for _, q := range queues {
			page, err := f.list(state, q, limit)
			if err != nil {
				return err
			}
			msgs = append(msgs, page...)
		}
		if len(queues) > 1 { // oldest first, as one queue's listing
			sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].ID < msgs[j].ID })
			msgs = msgs[:min(len(msgs), limit)]
		}
		printMessages(cmd.OutOrStdout(), msgs)
		return nil
	}
	return cmd
}

func printMessages(out io.Writer, msgs []listedMessage) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tQUEUE\tSTATE\tATTEMPTS\tLAST\tWHEN\tLAST ERROR")
	for _, m := range msgs {
		when := m.NextAttempt
		if m.State == "dead" {
			when = m.DeadAt
		}
		last := "-"
		if m.LastStatus != 0 {
			last = strconv.Itoa(m.LastStatus)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", m.ID, m.Queue, m.State, m.Attempts,
			last, formatTime(when), m.LastError)
	}
	_ = w.Flush()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

func replayCommand() *cobra.Command {
	var f adminFlags
	var allDead bool
	var route string
	var qf queryFlags
	cmd := &cobra.Command{
		Use:   "replay <id> | --all-dead [--route <name>] | --since 2h --status 5xx [--queue q] [--state dead] [--dry-run] [--rate 50/s]",
		Short: "Queue a dead message again, every dead message, or those a query matches",
		Args:  cobra.MaximumNArgs(1),
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&allDead, "all-dead", false, "replay the whole dead-letter queue")
	cmd.Flags().StringVar(&route, "route", "", "with --all-dead: only this route's queue")
	qf.register(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if qf.set(cmd) {
			if allDead || len(args) > 0 {
				return fmt.Errorf("a query (--since, --status, ...) takes no message id nor --all-dead")
			}
			return f.byQuery(cmd.OutOrStdout(), "replay", qf)
		}
		switch {
		case allDead == (len(args) == 1):
			return fmt.Errorf("give a message id or --all-dead")
		case allDead:
			n, err := f.replayAllDead(route)
			noun := "messages"
			if n == 1 {
				noun = "message"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "replayed %d %s\n", n, noun)
			return err
		}
		if err := f.call(http.MethodPost, "/webhooks/messages/"+url.PathEscape(args[0])+"/replay", nil); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "replayed %s\n", args[0])
		return nil
	}
	return cmd
}

// replayPage is how many dead messages one listing asks for (the admin
// API's maximum).
var replayPage = 1000

// replayAllDead replays the messages that were dead when it started, each
// once. It cannot take them all in one listing, and a replayed message that
// the upstream refuses again is dead again at once: replaying whatever the
// listing shows, until it shows nothing, never ended. So it goes queue by
// queue, where the listing is oldest first, and replays what it has not
// replayed yet and what died before it started, by the admin endpoint's clock.
func (f *adminFlags) replayAllDead(route string) (int, error) {
	stats, h, err := f.stats()
	if err != nil {
		return 0, err
	}
	cutoff := replayCutoff(h.Get("Date"))
	queues := []string{route}
	if route == "" {
		queues = queues[:0]
		for q, st := range stats {
			if st.Dead > 0 {
				queues = append(queues, q)
			}
		}
		sort.Strings(queues)
	} else {
		queues = routeQueues(route, stats)
	}
	n, seen := 0, map[string]bool{}
	for _, q := range queues {
		k, err := f.replayQueue(q, cutoff, seen)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// queueStats is what the admin API's stats tell of a queue.
type queueStats struct{ Dead int }

// stats returns the queues the admin API knows, with the answer's headers.
func (f *adminFlags) stats() (map[string]queueStats, http.Header, error) {
	var answer struct{ Queues map[string]queueStats }
	h, err := f.do(http.MethodGet, "/webhooks/stats", &answer)
	return answer.Queues, h, err
}

// routeQueues are the queues that --route names: the route's own queue and
// those of its other upstreams ("route>upstream"), or the one queue named.
func routeQueues(route string, stats map[string]queueStats) []string {
	queues := []string{route}
	if strings.Contains(route, queue.FanoutSep) {
		return queues
	}
	for q := range stats {
		if q != route && queue.QueueRoute(q) == route {
			queues = append(queues, q)
		}
	}
	sort.Strings(queues[1:])
	return queues
}

// replayCutoff is the admin endpoint's time from its Date header (one
// second resolution, so rounded up), or this machine's.
func replayCutoff(date string) time.Time {
	if t, err := http.ParseTime(date); err == nil {
		return t.Add(time.Second)
	}
	return time.Now()
}

// replayQueue replays one queue's dead messages that died before cutoff and
// are not in seen, page by page.
func (f *adminFlags) replayQueue(queue string, cutoff time.Time, seen map[string]bool) (int, error) {
	n := 0
	for {
		msgs, err := f.list("dead", queue, replayPage)
		if err != nil {
			return n, err
		}
		todo := 0
		for _, m := range msgs {
			if seen[m.ID] || !m.DeadAt.Before(cutoff) {
				continue
			}
			seen[m.ID] = true
			todo++
			if err := f.call(http.MethodPost, "/webhooks/messages/"+url.PathEscape(m.ID)+"/replay", nil); err != nil {
				return n, err
			}
			n++
		}
		if todo == 0 {
			return n, nil
		}
	}
}

func endpointsCommand() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "endpoints",
		Short: "List outbound endpoints and whether they are active",
		Args:  cobra.NoArgs,
	}
	f.register(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var answer struct {
			Endpoints []struct {
				ID, URL, Route string
				Events         []string
				Active         bool
				DisabledReason string `json:"disabled_reason"`
			}
		}
		if err := f.call(http.MethodGet, "/webhooks/endpoints", &answer); err != nil {
			return err
		}
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tROUTE\tURL\tEVENTS\tACTIVE\tWHY DISABLED")
		for _, e := range answer.Endpoints {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%t\t%s\n", e.ID, e.Route, e.URL, strings.Join(e.Events, ","), e.Active, e.DisabledReason)
		}
		return w.Flush()
	}
	return cmd
}

func enableCommand() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "enable <endpoint id>",
		Short: "Enable an outbound endpoint that was disabled",
		Args:  cobra.ExactArgs(1),
	}
	f.register(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := f.call(http.MethodPost, "/webhooks/endpoints/"+url.PathEscape(args[0])+"/enable", nil); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "enabled %s\n", args[0])
		return nil
	}
	return cmd
}
