#!/usr/bin/env bash
# `make run`: the example receiver on :9000, Caddy with the quickstart
# Caddyfile on :8080, and a ready-to-paste curl that sends a signed webhook.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTEXTFILE_SECRET=${CONTEXTFILE_SECRET:-whsec_quickstart}

bin/receiver -addr 127.0.0.1:9000 &
receiver=$!
bin/caddy run --config examples/quickstart/Caddyfile &
caddy=$!
trap 'kill $receiver $caddy 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

for _ in $(seq 50); do
	curl -fsS -o /dev/null http://127.0.0.1:2019/config/ 2>/dev/null && break
	sleep 0.2
done

id=evt_$(date +%s)
body='{"id":"'$id'","type":"context.created","data":{"name":"hello"}}'
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$CONTEXTFILE_SECRET" -r | cut -d' ' -f1)
cat <<MSG

Hookgate is up: webhooks on http://127.0.0.1:8080/hooks/contextfile, admin on 127.0.0.1:2019.
Send a signed webhook (a second send of the same line is answered as a duplicate):

  curl -i http://127.0.0.1:8080/hooks/contextfile -H 'Content-Type: application/json' -H 'X-Webhook-Signature: $sig' --data-raw '$body'

Or a fresh one each time: CONTEXTFILE_SECRET=$CONTEXTFILE_SECRET examples/quickstart/send.sh
Queue and dead letters: curl -s 127.0.0.1:2019/webhooks/stats ; curl -s '127.0.0.1:2019/webhooks/messages?state=dead'
Ctrl-C stops both.

MSG
wait $caddy
