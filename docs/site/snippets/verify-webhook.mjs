// Verifies a BalamPay webhook delivery in Node.js (Standard Webhooks, v1 signatures), with
// nothing but the standard library.
import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Returns true when `rawBody` (a Buffer, exactly as received) carries a valid signature.
 * `headers` maps lower-case header names to values; `secret` is the endpoint's `whsec_...`.
 */
export function verifyWebhook(secret, headers, rawBody, toleranceSeconds = 300) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return false;
  const now = Math.floor(Date.now() / 1000);
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > toleranceSeconds) return false;

  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key)
    .update(`${id}.${timestamp}.`)
    .update(rawBody)
    .digest();
  // webhook-signature holds space-separated "v1,<base64>" entries; any one may match.
  return signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

// Run as a program: WEBHOOK_SECRET=whsec_... node verify-webhook.mjs ID TIMESTAMP SIGNATURE BODY_FILE
if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import("node:fs");
  const [id, timestamp, signature, bodyFile] = process.argv.slice(2);
  const headers = { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
  const valid = verifyWebhook(process.env.WEBHOOK_SECRET ?? "", headers, readFileSync(bodyFile));
  console.log(valid ? "valid" : "invalid");
  process.exit(valid ? 0 : 1);
}
