#!/usr/bin/env python3
"""What `balampay-contract proxy` adds to a request, and its memory over a million of them.

One run, one machine, one load generator (hey, from Debian's packages: `install.sh` beside
this file installs the pinned version). It builds the release binaries, starts the sandbox
(in memory) and the proxy in front of it, both on loopback ports the system chose, creates
one user, and then:

1. Latency at a fixed rate: `GET /v1/users/{id}` at --rate requests/s (2 and 10 workers) for
   --seconds, straight to the sandbox and through the proxy (with --record to a temporary
   file, as a partner would run it), alternating which goes first over --rounds rounds.
   Per-request times come from hey's CSV; it prints achieved req/s, p50, p99 and p99.9 for
   each, and the proxy's added latency (through minus direct) at p50 and p99.
2. Memory: a fresh proxy with --record takes --memory-requests requests as fast as hey
   sends them (16 workers); the proxy's resident set is sampled every half second, and the
   figures at 10 %, 50 % and 100 % of the run and the peak are printed, with the count of
   exchanges the proxy reports and the recording's size.

Figures, not a test: nothing here fails on a slow machine. Every load is bounded in count
and in time.

    python3 tools/bench/proxy/run.py                      # 1,000 req/s, 15 s x 2 rounds, 1 M requests
    python3 tools/bench/proxy/run.py --seconds 5 --rounds 1 --memory-requests 100000
"""

import argparse
import csv
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
TOKEN = "sandbox-token"
API_KEY = "sandbox-api-key"
HEADERS = ["-H", f"Authorization: Bearer {TOKEN}", "-H", f"x-api-key: {API_KEY}"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on 127.0.0.1:{port} after {deadline} s")


def build():
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "balampay-contract", "-p", "balampay-sandbox"],
        cwd=ROOT,
        check=True,
    )
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "balampay-contract"), os.path.join(target, "release", "balampay-sandbox")


def create_user(base):
    body = json.dumps({
        "type": "individual", "email": "bench@example.com", "phone_number": "+573013185684",
        "first_name": "Ana", "last_name": "Bench", "country": "CO",
    }).encode()
    request = urllib.request.Request(
        f"{base}/v1/users", data=body, method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "x-api-key": API_KEY,
                 "idempotency-key": "bench-proxy-1", "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)["id"]


def start_proxy(contract, upstream_port, record, out):
    port = free_port()
    process = subprocess.Popen(
        [contract, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}",
         "--listen", f"127.0.0.1:{port}", "--record", record],
        stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
    wait_for(port)
    return process, port


def stop(process, timeout=60):
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def fixed_rate(url, rate, seconds, workers):
    """hey at `rate` req/s over `workers` workers for `seconds`: achieved req/s, latencies
    in ms, non-2xx count. hey paces each worker with its own ticker, all started together,
    so its load comes in bursts of `workers` requests."""
    completed = subprocess.run(
        ["hey", "-z", f"{seconds}s", "-c", str(workers), "-q", str(rate / workers), "-o", "csv", *HEADERS, url],
        capture_output=True, text=True, timeout=seconds + 120, check=True)
    rows = list(csv.DictReader(io.StringIO(completed.stdout)))
    latencies = [float(row["response-time"]) * 1000 for row in rows]
    bad = sum(1 for row in rows if not row["status-code"].startswith("2"))
    return len(rows) / seconds, latencies, bad


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def latency(contract, sandbox_port, user, args, scratch):
    record = os.path.join(scratch, "latency.jsonl")
    with open(os.path.join(scratch, "proxy-latency.out"), "w") as out:
        proxy, proxy_port = start_proxy(contract, sandbox_port, record, out)
        try:
            targets = {
                "direct": f"http://127.0.0.1:{sandbox_port}/v1/users/{user}",
                "proxy": f"http://127.0.0.1:{proxy_port}/v1/users/{user}",
            }
            # A warm-up of each, not measured: connections, caches, the allocator.
            for url in targets.values():
                fixed_rate(url, args.rate, 2, 2)
            tables = []
            for workers in args.workers:
                results = {name: [] for name in targets}
                rates = {name: [] for name in targets}
                bad = {name: 0 for name in targets}
                for round_ in range(args.rounds):
                    order = list(targets) if round_ % 2 == 0 else list(reversed(targets))
                    for name in order:
                        achieved, latencies, failed = fixed_rate(targets[name], args.rate, args.seconds, workers)
                        results[name].extend(latencies)
                        rates[name].append(achieved)
                        bad[name] += failed
                tables.append((workers, results, rates, bad))
        finally:
            stop(proxy)
    for workers, results, rates, bad in tables:
        print(f"\nlatency at {args.rate} req/s, GET /v1/users/{{id}}, {args.rounds} x {args.seconds} s each, hey {workers} workers (bursts of {workers})")
        print(f"{'target':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'non-2xx':>8}")
        figures = {}
        for name in results:
            values = results[name]
            figures[name] = (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 0.999))
            print(f"{name:<8} {statistics.mean(rates[name]):>8.0f} {figures[name][0]:>8.3f} {figures[name][1]:>8.3f} {figures[name][2]:>9.3f} {bad[name]:>8}")
        added50 = figures["proxy"][0] - figures["direct"][0]
        added99 = figures["proxy"][1] - figures["direct"][1]
        print(f"added by the proxy: p50 {added50:+.3f} ms, p99 {added99:+.3f} ms (target: p99 at most +1 ms); hey's times are in 0.1 ms steps")
    with open(os.path.join(scratch, "proxy-latency.out")) as out:
        summary = [line.rstrip() for line in out if "entries:" in line or "passed" in line]
    print("proxy's own summary: " + " | ".join(summary))


def memory(contract, sandbox_port, user, args, scratch):
    record = os.path.join(scratch, "memory.jsonl")
    output = os.path.join(scratch, "proxy-memory.out")
    with open(output, "w") as out:
        proxy, proxy_port = start_proxy(contract, sandbox_port, record, out)
        samples = []
        done = threading.Event()

        def sample():
            start = time.time()
            while not done.is_set():
                value = rss_kib(proxy.pid)
                if value is not None:
                    samples.append((time.time() - start, value))
                done.wait(0.5)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.time()
        try:
            subprocess.run(
                ["hey", "-n", str(args.memory_requests), "-c", "16", "-t", "30", *HEADERS,
                 f"http://127.0.0.1:{proxy_port}/v1/users/{user}"],
                capture_output=True, text=True, timeout=args.memory_timeout, check=True)
        except subprocess.TimeoutExpired:
            print(f"(the load was stopped at its time limit, {args.memory_timeout} s)")
        elapsed = time.time() - started
        done.set()
        sampler.join()
        stop(proxy, timeout=120)
    with open(output) as out:
        entries = [line.strip() for line in out if "entries:" in line]
    size = os.path.getsize(record) if os.path.exists(record) else 0
    print(f"\nmemory of the proxy with --record over {args.memory_requests:,} requests (hey, 16 workers, no rate limit)")
    print(f"  {elapsed:.0f} s, {args.memory_requests / elapsed:,.0f} req/s; recording {size / 2**20:,.0f} MiB; proxy: {' '.join(entries)}")
    if samples:
        def at(fraction):
            moment = samples[-1][0] * fraction
            return min(samples, key=lambda s: abs(s[0] - moment))[1] / 1024
        print(f"  RSS at 10 %: {at(0.1):.1f} MiB, 50 %: {at(0.5):.1f} MiB, 100 %: {at(1.0):.1f} MiB; peak {max(v for _, v in samples) / 1024:.1f} MiB ({len(samples)} samples)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=1000, help="requests per second of the latency runs")
    parser.add_argument("--seconds", type=int, default=15, help="seconds of each latency run")
    parser.add_argument("--rounds", type=int, default=2, help="latency rounds (each runs both targets)")
    parser.add_argument("--workers", type=lambda text: [int(n) for n in text.split(",")], default=[2, 10],
                        help="hey worker counts to measure with, comma-separated (default 2,10)")
    parser.add_argument("--memory-requests", type=int, default=1_000_000)
    parser.add_argument("--memory-timeout", type=int, default=900, help="seconds before the memory load is stopped")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    if shutil.which("hey") is None:
        sys.exit("hey is not installed: run tools/bench/proxy/install.sh (Debian's package, pinned)")
    contract, sandbox_binary = build()
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as scratch:
        sandbox_port = free_port()
        sandbox = subprocess.Popen(
            [sandbox_binary, "--addr", f"127.0.0.1:{sandbox_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(sandbox_port)
            user = create_user(f"http://127.0.0.1:{sandbox_port}")
            latency(contract, sandbox_port, user, args, scratch)
            if not args.skip_memory:
                memory(contract, sandbox_port, user, args, scratch)
        finally:
            stop(sandbox)


if __name__ == "__main__":
    main()
