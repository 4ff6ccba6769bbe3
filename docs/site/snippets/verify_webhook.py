"""Verifies a BalamPay webhook delivery in Python (Standard Webhooks, v1 signatures), with
nothing but the standard library."""
import base64
import hashlib
import hmac
import time


def verify_webhook(secret: str, headers: dict, raw_body: bytes, tolerance_seconds: int = 300) -> bool:
    """True when raw_body (bytes, exactly as received) carries a valid signature.

    headers maps lower-case header names to values; secret is the endpoint's "whsec_..."."""
    webhook_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not webhook_id or not timestamp or not signatures or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > tolerance_seconds:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + raw_body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # webhook-signature holds space-separated "v1,<base64>" entries; any one may match.
    return any(
        entry.startswith("v1,") and hmac.compare_digest(entry[3:], expected)
        for entry in signatures.split(" ")
    )


if __name__ == "__main__":
    # Run as a program: WEBHOOK_SECRET=whsec_... python3 verify_webhook.py ID TIMESTAMP SIGNATURE BODY_FILE
    import os
    import sys

    webhook_id, timestamp, signature, body_file = sys.argv[1:5]
    with open(body_file, "rb") as f:
        body = f.read()
    headers = {"webhook-id": webhook_id, "webhook-timestamp": timestamp, "webhook-signature": signature}
    valid = verify_webhook(os.environ.get("WEBHOOK_SECRET", ""), headers, body)
    print("valid" if valid else "invalid")
    sys.exit(0 if valid else 1)
