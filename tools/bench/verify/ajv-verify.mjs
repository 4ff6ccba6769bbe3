// The peer of `balampay-contract verify` for the side-by-side benchmark (run.py): ajv 8
// (draft 2020-12, formats asserted), every schema compiled once, one thread, and the same
// checks on each HAR entry: a documented operation (exact path match), the request's
// required headers and query parameters and its body schema when the API accepted it, a
// documented status, the required response headers, the content type, and the body schema.
//
// Input: a HAR written one entry per line (as run.py writes it), streamed line by line.
// Output (stdout, JSON): {"entries": N, "invalid": [1-based entry numbers]}.
//
// Usage: node ajv-verify.mjs SPEC.json RECORDING.har

import { createReadStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [specPath, harPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
addFormats(ajv);
ajv.addSchema({ ...spec, $id: "openapi.json" });

const escape = (token) => token.replaceAll("~", "~0").replaceAll("/", "~1");
const fragment = (pointer) => encodeURI(pointer).replaceAll("#", "%23");
const compiled = new Map();
function validator(pointer) {
  let validate = compiled.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `openapi.json#${fragment(pointer)}` });
    compiled.set(pointer, validate);
  }
  return validate;
}
function resolve(value) {
  let pointer = null;
  while (value && value.$ref) {
    pointer = decodeURIComponent(value.$ref.slice(1));
    value = pointer
      .split("/")
      .slice(1)
      .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce((node, token) => node[token], spec);
  }
  return { value, pointer };
}

const credentialHeaders = { http: "authorization" };
const schemes = spec.components?.securitySchemes ?? {};
const operations = [];
for (const [template, item] of Object.entries(spec.paths)) {
  for (const method of ["get", "put", "post", "delete", "options", "head", "patch", "trace"]) {
    const operation = item[method];
    if (!operation) continue;
    const at = `/paths/${escape(template)}/${method}`;
    const headers = [];
    const query = [];
    for (const parameter of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) {
      const p = resolve(parameter).value;
      if (!p.required) continue;
      if (p.in === "header") headers.push(p.name.toLowerCase());
      if (p.in === "query") query.push(p.name);
    }
    for (const name of Object.keys((operation.security ?? spec.security ?? [{}])[0] ?? {})) {
      const scheme = schemes[name];
      if (scheme?.type === "apiKey" && scheme.in === "header") headers.push(scheme.name.toLowerCase());
      if (scheme?.type === "http") headers.push(credentialHeaders.http);
    }
    let body = null;
    if (operation.requestBody) {
      const resolved = resolve(operation.requestBody);
      const base = resolved.pointer ?? `${at}/requestBody`;
      if (resolved.value.content?.["application/json"]?.schema) {
        body = { pointer: `${base}/content/application~1json/schema`, required: !!resolved.value.required };
      }
    }
    const responses = {};
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      const resolved = resolve(response);
      const base = resolved.pointer ?? `${at}/responses/${status}`;
      const content = Object.keys(resolved.value.content ?? {});
      const required = Object.entries(resolved.value.headers ?? {})
        .filter(([, header]) => resolve(header).value.required)
        .map(([name]) => name.toLowerCase());
      responses[status] = {
        content,
        required,
        schema: resolved.value.content?.["application/json"]?.schema
          ? validator(`${base}/content/application~1json/schema`)
          : null,
      };
    }
    operations.push({
      method: method.toUpperCase(),
      segments: template.split("/").map((s) => (s.startsWith("{") && s.endsWith("}") ? null : s)),
      headers,
      query,
      body: body && { validate: validator(body.pointer), required: body.required },
      responses,
    });
  }
}

function match(method, path) {
  const parts = path.split("/");
  let best = null;
  let literals = -1;
  for (const op of operations) {
    if (op.method !== method.toUpperCase() || op.segments.length !== parts.length) continue;
    const ok = op.segments.every((s, i) =>
      s === null ? parts[i] !== "" : s === parts[i] || s === decodeURIComponent(parts[i]),
    );
    const count = op.segments.filter((s) => s !== null).length;
    if (ok && count > literals) {
      best = op;
      literals = count;
    }
  }
  return best;
}

function valid(entry) {
  const url = new URL(entry.request.url);
  const op = match(entry.request.method, url.pathname);
  if (!op) return false;
  const status = entry.response.status;
  const headerOf = (list, name) => list.find((h) => h.name.toLowerCase() === name)?.value;
  if (status < 400) {
    for (const name of op.headers) {
      if (name === "authorization" || name === "cookie") continue;
      if (headerOf(entry.request.headers, name) === undefined) return false;
    }
    for (const name of op.query) if (!url.searchParams.has(name)) return false;
    if (op.body) {
      const text = entry.request.postData?.text;
      if (text) {
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          return false;
        }
        if (!op.body.validate(body)) return false;
      } else if (op.body.required) return false;
    }
  }
  const response =
    op.responses[String(status)] ?? op.responses[`${Math.floor(status / 100)}XX`] ?? op.responses.default;
  if (!response) return false;
  for (const name of response.required) if (headerOf(entry.response.headers, name) === undefined) return false;
  const type = headerOf(entry.response.headers, "content-type")?.split(";")[0].trim().toLowerCase();
  if (response.content.length > 0 && !response.content.includes(type)) return false;
  if (!response.schema) return true;
  const content = entry.response.content;
  const text = content.encoding === "base64" ? Buffer.from(content.text, "base64").toString("utf8") : content.text;
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return false;
  }
  return response.schema(body);
}

const invalid = [];
let count = 0;
const lines = createInterface({ input: createReadStream(harPath), crlfDelay: Infinity });
for await (let line of lines) {
  if (!line.startsWith('{"startedDateTime"')) continue;
  if (line.endsWith(",")) line = line.slice(0, -1);
  count += 1;
  if (!valid(JSON.parse(line))) invalid.push(count);
}
process.stdout.write(JSON.stringify({ entries: count, invalid }) + "\n");
