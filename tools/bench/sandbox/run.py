#!/usr/bin/env python3
"""The sandbox against Prism's static mock, side by side: one load generator (wrk), one
load (create-then-get: each connection alternates a `POST /v1/users` and a `GET` of a user
just created), the same spec, the same machine, in one run. Prints req/s, p50 and p99 of
each target and the sandbox's ratio to Prism; then, unless --no-scale, the sandbox's
create-then-get throughput with 10,000 users and again after 1,000,000.

usage: python3 tools/bench/sandbox/run.py [--seconds 15] [--connections 16] [--threads 2]
                                          [--no-scale] [--scale-users 1000000]

Needs: bash tools/bench/sandbox/install.sh (wrk from Debian, Prism from package-lock.json),
and cargo (the sandbox is built with --release). Figures, not a test: the targets are
checked by reading them. Every load is bounded in time; servers listen on loopback ports
the system picks.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SCRIPT = os.path.join(HERE, "create_then_get.lua")
TOKEN = "bench-token"
API_KEY = "bench-api-key"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, process, seconds=60):
    """Waits until `url` answers any HTTP status; fails if the process exits first."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"bench: the server exited with {process.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"bench: {url} did not answer within {seconds} s")


def wrk(base, seconds, connections, threads, run, mode="mixed"):
    env = dict(os.environ, BENCH_TOKEN=TOKEN, BENCH_API_KEY=API_KEY, BENCH_RUN=str(run), BENCH_MODE=mode)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
         "-s", SCRIPT, base],
        capture_output=True, text=True, env=env, timeout=seconds + 60,
    )
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        sys.exit(f"bench: wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    result = json.loads(line[len("BENCH "):])
    result["rps"] = result["requests"] / result["seconds"]
    return result


class Server:
    """A server process started for one measurement and stopped after it."""

    def __init__(self, name, argv, port, env=None, cwd=None):
        self.name = name
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            argv, cwd=cwd, env=dict(os.environ, **(env or {})),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until_up(self.base + "/v1/users", self.process)

    def rss_mib(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def sandbox(data=None):
    port = free_port()
    # The load is far over the default rate limit of a key (1000/s): off, to measure the server.
    argv = [os.path.join(ROOT, "target", "release", "balampay-sandbox"), "--addr", f"127.0.0.1:{port}",
            "--rate-limit", "0"]
    if data:
        argv += ["--data", data]
    return Server("sandbox", argv, port, env={"BALAMPAY_TOKEN": TOKEN, "BALAMPAY_API_KEY": API_KEY})


def prism():
    port = free_port()
    binary = os.path.join(HERE, "node_modules", ".bin", "prism")
    if not os.path.exists(binary):
        sys.exit("bench: Prism is not installed; run bash tools/bench/sandbox/install.sh")
    return Server("prism", [binary, "mock", os.path.join(ROOT, "spec", "openapi.json"),
                            "-h", "127.0.0.1", "-p", str(port)], port)


def measure(server, args, run):
    # A short warm-up, then the measured run.
    wrk(server.base, 2, args.connections, args.threads, f"{run}w")
    return wrk(server.base, args.seconds, args.connections, args.threads, run)


def row(name, r, prism_rps=None, rss=None):
    ratio = f"{r['rps'] / prism_rps:6.1f}x" if prism_rps else "     -"
    mem = f"{rss:8.1f}" if rss is not None else "       -"
    print(f"{name:<24} {r['rps']:>10.0f} {r['p50_us'] / 1000:>9.2f} {r['p99_us'] / 1000:>9.2f} "
          f"{r['unexpected'] + r['socket_errors']:>7} {mem} {ratio}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--scale-users", type=int, default=1_000_000)
    parser.add_argument("--scale-max-seconds", type=int, default=600,
                        help="bound on the time spent creating users for the scale run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed; run bash tools/bench/sandbox/install.sh")
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "balampay-sandbox"], cwd=ROOT, check=True)

    print(f"create-then-get, wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, one machine, in one run")
    print(f"{'target':<24} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7} {'RSS MiB':>8}  ratio")
    server = prism()
    try:
        p = measure(server, args, "prism")
        row("prism 5.14.2 (static)", p, rss=server.rss_mib())
    finally:
        server.stop()
    server = sandbox()
    try:
        m = measure(server, args, "memory")
        row("sandbox, in memory", m, p["rps"], server.rss_mib())
    finally:
        server.stop()
    with tempfile.TemporaryDirectory() as tmp:
        server = sandbox(os.path.join(tmp, "bench.sqlite"))
        try:
            s = measure(server, args, "sqlite")
            row("sandbox, SQLite", s, p["rps"], server.rss_mib())
        finally:
            server.stop()

    if args.no_scale:
        return
    print(f"\nscale: create-then-get with 10,000 users, then after {args.scale_users:,} (in memory)")
    server = sandbox()
    try:
        filled = 0
        # Up to 10,000 users first (POSTs only), then the first measurement.
        run = 0
        while filled < 10_000:
            run += 1
            filled += wrk(server.base, 2, args.connections, args.threads, f"fill{run}", "create")["created"]
        start = filled
        first = wrk(server.base, args.seconds, args.connections, args.threads, "first")
        filled += first["created"]
        # The measured run creates users itself: the row names where it started and ended.
        row(f"{start:,}-{filled:,} users", first, rss=server.rss_mib())
        started = time.time()
        while filled < args.scale_users and time.time() - started < args.scale_max_seconds:
            run += 1
            filled += wrk(server.base, 20, args.connections, args.threads, f"fill{run}", "create")["created"]
        if filled < args.scale_users:
            print(f"(stopped filling at {filled:,} users after {args.scale_max_seconds} s)")
        start = filled
        second = wrk(server.base, args.seconds, args.connections, args.threads, "second")
        filled += second["created"]
        row(f"{start:,}-{filled:,} users", second, rss=server.rss_mib())
        print(f"throughput from {start:,} users: {second['rps'] / first['rps'] * 100:.1f}% of the throughput from 10,000")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
