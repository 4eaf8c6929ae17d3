// Package cli is the `caddy webhook` command: sign, verify and send-test
// work on webhooks offline (sign.go); messages, replay, endpoints and enable
// operate a running Hookgate through its admin API (admin.go). It is the
// plugin's command-line surface, as caddyfile/ is its Caddyfile surface.
package cli

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "webhook",
		Usage: "<sign|verify|send-test|presets|keygen|keys|messages|replay|endpoints|enable> [flags]",
		Short: "Signs and checks webhooks, and operates Hookgate's queues",
		Long: `
Tools for Hookgate, the webhook gateway built into this Caddy.

  sign       print the headers that sign a body read from stdin
  verify     check a body (stdin) and its headers against a secret
  send-test  send a correctly signed sample event to a route
  presets    list every preset: header, scheme, dedupe key, tolerance, max_body
  keygen     write an Ed25519 key pair for Standard Webhooks v1a signing
  messages   list queued or dead messages (through the admin API)
  replay     queue a dead message again, every dead message, or those a query matches
  endpoints  list outbound endpoints (through the admin API)
  enable     enable an outbound endpoint that was disabled
  keys       list the public keys that sign deliveries, by route

Secrets and keys are read from an environment variable or a file, never from a flag,
so that they stay out of shell history and process listings.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.AddCommand(signCommand(), verifyCommand(), sendTestCommand(), presetsCommand(),
				keygenCommand(), keysCommand(), messagesCommand(), replayCommand(), endpointsCommand(), enableCommand())
		},
	})
}
