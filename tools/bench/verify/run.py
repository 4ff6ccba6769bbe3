#!/usr/bin/env python3
"""Side-by-side benchmark of `balampay-contract verify` against ajv on one HAR.

It generates a HAR from spec/openapi.json (deterministic: every operation and every
documented status in turn, bodies from the spec's examples, one entry in ten base64 like
Chrome writes them, and one entry in twenty with one planted violation, whose numbers it
keeps), builds the release binary, installs the pinned ajv (package-lock.json), runs
`verify --jobs 1`, `verify --jobs 2` and ajv (compiled once, one thread, the same checks)
on the same file, checks that each finds exactly the planted set, and prints entries/s,
peak RSS and the ratios. Figures, not a test: nothing here fails on a slow machine.

    python3 tools/bench/verify/run.py                # 100,000 entries, 5 rounds
    python3 tools/bench/verify/run.py --entries 20000 --runs 1
    python3 tools/bench/verify/run.py --pretty --entries 500000 --only-verify   # a ~1 GB pretty HAR
"""

import argparse
import base64
import copy
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
API = "https://api.balampay.com"


def resolve(spec, value):
    while isinstance(value, dict) and "$ref" in value:
        node = spec
        for token in value["$ref"][2:].split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        value = node
    return value


def cases(spec):
    """Every (operation, status) pair with what an entry for it needs."""
    found = []
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            request = resolve(spec, operation.get("requestBody", {})).get("content", {}).get("application/json", {})
            request_examples = [e["value"] for e in request.get("examples", {}).values()]
            headers = [p["name"] for p in (resolve(spec, p) for p in operation.get("parameters", [])) if p["in"] == "header" and p.get("required")]
            for status, response in operation["responses"].items():
                response = resolve(spec, response)
                content = response.get("content", {}).get("application/json", {})
                examples = [e["value"] for e in content.get("examples", {}).values()]
                if not examples:
                    continue
                found.append((method.upper(), template, int(status), request_examples, headers, examples))
    return found


def uuid_of(n, salt):
    digest = hashlib.sha1(f"{salt}:{n}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


def plant(body):
    """One violation both validators must find."""
    if isinstance(body, dict) and isinstance(body.get("status"), str):
        body["status"] = "approved_WRONG"
    elif isinstance(body, dict) and "code" in body:
        body["code"] = "no_such_code"
    elif isinstance(body, dict) and "has_more" in body:
        body["has_more"] = "yes"
    else:
        raise ValueError(f"no planted violation for {body!r}")
    return body


def entry(n, case):
    method, template, status, request_examples, headers, examples = case
    path = template.replace("{userId}", uuid_of(n, "user")).replace("{verificationId}", uuid_of(n, "session"))
    url = API + path + ("?limit=2" if method == "GET" and path.endswith(("/users", "/verifications")) else "")
    request_headers = [
        {"name": ":authority", "value": "api.balampay.com"},
        {"name": "authorization", "value": "Bearer sandbox-token"},
        {"name": "x-api-key", "value": "sk_sandbox_4f2c"},
    ]
    if "idempotency-key" in headers:
        request_headers.append({"name": "idempotency-key", "value": f"key-{n}"})
    request = {"method": method, "url": url, "httpVersion": "http/2.0", "headers": request_headers, "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0}
    if request_examples:
        text = json.dumps(request_examples[n % len(request_examples)])
        request_headers.append({"name": "content-type", "value": "application/json"})
        request["postData"] = {"mimeType": "application/json", "text": text}
        request["bodySize"] = len(text)
    body = copy.deepcopy(examples[n % len(examples)])
    planted = n % 20 == 7
    if planted:
        plant(body)
    text = json.dumps(body, ensure_ascii=False)
    content = {"size": len(text.encode()), "mimeType": "application/json"}
    if n % 10 == 3:
        content["text"] = base64.b64encode(text.encode()).decode()
        content["encoding"] = "base64"
    else:
        content["text"] = text
    response_headers = [
        {"name": "content-type", "value": "application/json"},
        {"name": "x-request-id", "value": f"req_{n:032x}"},
    ]
    if status == 429:
        response_headers.append({"name": "retry-after", "value": "2"})
    return planted, {
        "startedDateTime": "2026-11-25T22:33:07.192Z",
        "time": 12.5,
        "request": request,
        "response": {"status": status, "statusText": "", "httpVersion": "http/2.0", "headers": response_headers, "cookies": [], "content": content, "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {},
        "timings": {"send": 0.1, "wait": 10.2, "receive": 2.2},
    }


def generate(spec, path, count, pretty):
    pairs = cases(spec)
    planted = []
    with open(path, "w", encoding="utf-8") as out:
        head = {"version": "1.2", "creator": {"name": "balampay bench", "version": "1"}}
        out.write('{"log": ' + json.dumps(head)[:-1] + ', "entries": [\n')
        for n in range(count):
            is_planted, value = entry(n, pairs[n % len(pairs)])
            if is_planted:
                planted.append(n + 1)
            text = json.dumps(value, indent=2, ensure_ascii=False) if pretty else json.dumps(value, ensure_ascii=False)
            out.write(text + (",\n" if n + 1 < count else "\n"))
        out.write("]}}\n")
    return planted


def measure(command, stdout_path):
    """Wall seconds, peak RSS in MiB and exit code of one run of a command."""
    with open(stdout_path, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, process.returncode


def entry_numbers(report_path):
    report = json.load(open(report_path))
    numbers = set()
    for failure in report["cases"][0]["failures"]:
        place = failure["place"]  # "entry 12, line 14"
        numbers.add(int(place.split(",")[0].split()[1]))
    return sorted(numbers)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="rounds; each runs every tool once")
    parser.add_argument("--pretty", action="store_true", help="write the HAR pretty-printed (2-space indent) instead of one entry per line")
    parser.add_argument("--only-verify", action="store_true", help="run verify only (for a pretty HAR, which the line-based ajv script does not read)")
    parser.add_argument("--keep", action="store_true", help="keep the generated HAR")
    args = parser.parse_args()
    if args.runs < 1 or args.entries < 1:
        parser.error("--runs and --entries take a whole number from 1")

    spec_path = os.path.join(ROOT, "spec", "openapi.json")
    spec = json.load(open(spec_path))
    work = tempfile.mkdtemp(prefix="balampay-bench-verify-")
    har = os.path.join(work, "bench.har")
    print(f"generating {args.entries} entries ({'pretty' if args.pretty else 'one per line'}) ...", flush=True)
    planted = generate(spec, har, args.entries, args.pretty)
    size = os.path.getsize(har) / (1 << 20)
    print(f"{har}: {size:.0f} MiB, {len(planted)} planted violations", flush=True)

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "balampay-contract"], cwd=ROOT, check=True)
    # The binary `cargo build` wrote: under CARGO_TARGET_DIR when it is set.
    binary = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "balampay-contract")
    if not args.only_verify:
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)

    tools = [
        ("verify --jobs 1", lambda out: [binary, "verify", "--jobs", "1", "--max-failures", "10000000", "--json", out + ".json", har]),
        ("verify --jobs 2", lambda out: [binary, "verify", "--jobs", "2", "--max-failures", "10000000", "--json", out + ".json", har]),
    ]
    if not args.only_verify:
        tools.append(("ajv 8.17.1", lambda out: ["node", os.path.join(HERE, "ajv-verify.mjs"), spec_path, har]))

    # Rounds: every tool once per round, in an order that rotates, so that the machine's
    # drifts (other tenants, frequency) fall on all of them alike; the ratio is taken within
    # each round and its median printed.
    runs = {name: [] for name, _ in tools}
    for round_number in range(args.runs):
        order = tools[round_number % len(tools):] + tools[:round_number % len(tools)]
        for name, command in order:
            out = os.path.join(work, f"{name.replace(' ', '_')}-{round_number}")
            seconds, rss, code = measure(command(out), out)
            if name.startswith("verify"):
                found = entry_numbers(out + ".json")
                expected_code = 1 if planted else 0
            else:
                found = json.load(open(out))["invalid"]
                expected_code = 0
            if code != expected_code:
                sys.exit(f"{name} exited {code}")
            runs[name].append((seconds, rss, found))

    failed = False
    for name, _ in tools:
        seconds = statistics.median(r[0] for r in runs[name])
        fastest = min(r[0] for r in runs[name])
        rss = max(r[1] for r in runs[name])
        found = runs[name][0][2]
        if any(r[2] != found for r in runs[name]):
            failed = True
            same = "NO (the runs found different sets)"
        elif found != planted:
            failed = True
            same = f"NO ({len(set(found) - set(planted))} extra, {len(set(planted) - set(found))} missed)"
        else:
            same = "yes"
        print(f"{name:<16} {args.entries / seconds:>10,.0f} entries/s  median {seconds:.2f} s, fastest {fastest:.2f} s  peak RSS {rss:>6.1f} MiB  found {len(found)} invalid, the planted set: {same}", flush=True)

    if "ajv 8.17.1" in runs:
        for name in ("verify --jobs 1", "verify --jobs 2"):
            ratios = sorted(a[0] / v[0] for a, v in zip(runs["ajv 8.17.1"], runs[name]))
            print(f"{name} / ajv: {statistics.median(ratios):.2f}x the entries/s (median of {len(ratios)} rounds; {ratios[0]:.2f}x to {ratios[-1]:.2f}x)")
    if failed:
        print("a tool did not find exactly the planted violations: the figures compare different work", file=sys.stderr)
    if args.keep:
        print(f"kept {har}")
    else:
        for name in os.listdir(work):
            os.remove(os.path.join(work, name))
        os.rmdir(work)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
