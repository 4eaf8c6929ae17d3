package webhooks

import (
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"

	"github.com/hookgate/hookgate/webhooks/notify"
)

// provisionEvents takes Caddy's events app, registers the notify queue and
// makes the config's Notifier.
func (a *App) provisionEvents(ctx caddy.Context) error {
	a.ctx = ctx
	ev, err := ctx.App("events")
	if err != nil {
		return err
	}
	url := ""
	if a.Notify != nil {
		if err := a.Notify.LoadTransport(ctx); err != nil {
			return err
		}
		if err := a.Notify.Provision(); err != nil {
			return err
		}
		if err := a.RegisterQueue(notify.Queue, a.Notify, nil); err != nil {
			return err
		}
		url = a.Notify.URL
	}
	a.notify = notify.New(ctx, ev.(*caddyevents.App), url, a, a.log)
	return nil
}

// runningStale is what the stale watch reads: the stale_after and the
// Notifier of the app started last (current).
func runningStale() (time.Duration, *notify.Notifier) {
	if a := current.Load(); a != nil {
		return time.Duration(a.StaleAfter), a.notify
	}
	return 0, nil
}
