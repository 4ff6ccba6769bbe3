#!/usr/bin/env bash
# Verifies a BalamPay webhook delivery with openssl (Standard Webhooks, v1 signatures).
#
# usage: WEBHOOK_SECRET=whsec_... verify-webhook.sh WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE BODY_FILE
# The arguments are the three webhook-* headers of the delivery and a file holding its raw
# body, byte for byte as received (do not re-encode the JSON). Exit 0 and "valid" when one of
# the signatures matches and the timestamp is within 5 minutes of this machine's clock.
set -euo pipefail
: "${WEBHOOK_SECRET:?set WEBHOOK_SECRET to the whsec_ secret of the endpoint}"
[ "$#" -eq 4 ] || { echo "usage: verify-webhook.sh WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE BODY_FILE" >&2; exit 2; }
id="$1" timestamp="$2" signatures="$3" body_file="$4"

# The key is the base64 part of the secret, decoded; openssl takes it as hex.
key_hex="$(printf '%s' "${WEBHOOK_SECRET#whsec_}" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n')"

# The signed content is "<webhook-id>.<webhook-timestamp>.<body>".
expected="$( { printf '%s.%s.' "$id" "$timestamp"; cat "$body_file"; } \
  | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | openssl base64 -A)"

case "$timestamp" in
  '' | *[!0-9]*) echo "invalid: webhook-timestamp is not a number of seconds" >&2; exit 1 ;;
esac
now="$(date +%s)"
if [ $(( now - timestamp )) -gt 300 ] || [ $(( timestamp - now )) -gt 300 ]; then
  echo "invalid: webhook-timestamp is more than 5 minutes away from now" >&2
  exit 1
fi
# webhook-signature holds space-separated "v1,<base64>" entries; any one may match.
for signature in $signatures; do
  if [ "$signature" = "v1,$expected" ]; then
    echo valid
    exit 0
  fi
done
echo "invalid: no signature matches" >&2
exit 1
