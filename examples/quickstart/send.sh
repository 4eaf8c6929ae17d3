#!/usr/bin/env bash
# Sends one signed ContextFile-style webhook to the quickstart route.
#   examples/quickstart/send.sh [event-id]
set -euo pipefail
secret=${CONTEXTFILE_SECRET:-whsec_quickstart}
id=${1:-evt_$(date +%s%N)}
body=$(printf '{"id":"%s","type":"context.created","data":{"name":"hello"}}' "$id")
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
echo "curl -sS -i http://127.0.0.1:8080/hooks/contextfile -H 'Content-Type: application/json' -H 'X-Webhook-Signature: $sig' --data-raw '$body'"
curl -sS -i http://127.0.0.1:8080/hooks/contextfile \
	-H 'Content-Type: application/json' -H "X-Webhook-Signature: $sig" --data-raw "$body"
