#!/usr/bin/env bash
# Sends a signed test delivery to your webhook endpoint, as BalamPay would: the payload is
# signed with openssl (Standard Webhooks, v1) and POSTed with curl.
#
# usage: WEBHOOK_SECRET=whsec_... send-test-webhook.sh ENDPOINT_URL PAYLOAD_FILE
set -euo pipefail
: "${WEBHOOK_SECRET:?set WEBHOOK_SECRET to the whsec_ secret of the endpoint}"
[ "$#" -eq 2 ] || { echo "usage: send-test-webhook.sh ENDPOINT_URL PAYLOAD_FILE" >&2; exit 2; }
url="$1" payload_file="$2"

id="msg_$(openssl rand -hex 12)"
timestamp="$(date +%s)"
key_hex="$(printf '%s' "${WEBHOOK_SECRET#whsec_}" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n')"
signature="$( { printf '%s.%s.' "$id" "$timestamp"; cat "$payload_file"; } \
  | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | openssl base64 -A)"

# --data-binary sends the file's bytes unchanged, so the signature still matches them.
curl --fail-with-body --silent --show-error -X POST "$url" \
  -H "content-type: application/json" \
  -H "webhook-id: $id" \
  -H "webhook-timestamp: $timestamp" \
  -H "webhook-signature: v1,$signature" \
  --data-binary "@$payload_file"
