"""Web benchmark: the overview, a release dashboard and the main API reads at 200 requests/s.

    apt-get install -y wrk            # the load generator; without it a Python open loop is used
    PYTHONPATH=src python bench/web_load.py [--rate 200] [--seconds 15] [--workers 2] [--writes 0]

Seeds a fresh SQLite store (bench/web_seed.py: the demo release, 10,000 releases with eight checkpoints
and decisions each, 100,000 incidents and the audit chain for all of them), starts `vigil serve` as a
separate process, warms it, then drives each endpoint with Debian's wrk, itself a separate process, at a
constant rate in the manner of wrk2 (bench/wrk_rate.lua: every connection sends on a fixed schedule and
latency counts from the scheduled send time, so a stalled server is charged for the requests it held up).
Per endpoint it prints the achieved rate, p50/p99 from the schedule, wrk's own p99 (from the actual send),
p99 as a ratio of the 100 ms target and of the reference endpoint measured in the same run (the sign-in
page: no data, no token), and the server's CPU milliseconds per request during the run (from /proc).

Latency on a shared machine depends on the other load, so the script also measures CPU milliseconds per
request in-process (bench/web_cpu.py), which does not. `--writes N` runs a writer process beside the
server that makes N audited changes a second (an incident opened on some release, as a watch would),
so every cached page is worked out again that often.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from web_cpu import cpu_per_request
from web_seed import seed

TARGET_P99_MS = 100.0
ROOT = Path(__file__).resolve().parents[1]
RATE_SCRIPT = Path(__file__).with_name("wrk_rate.lua")
REFERENCE = "reference: GET /login (no data)"


def start_server(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-c", "from vigil.cli.app import main; main()", "serve", "--db", db,
               "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants (the uvicorn workers), from /proc."""
    total, pending = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            pending += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # a process that just ended
    return total


def wrk_constant_rate(url: str, token: str, rate: float, seconds: float, connections: int = 20) -> dict[str, float]:
    """Debian's wrk at ``rate`` requests/s, one connection per wrk thread, each on its own schedule."""
    command = [
        "wrk", f"-t{connections}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s", "--latency",
        "-s", str(RATE_SCRIPT), "-H", f"Authorization: Bearer {token}", url,
        "--", f"{1000.0 * connections / rate:.3f}", str(connections),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    out: dict[str, float] = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if line.startswith("SCHEDULED"):
            values = dict(p.split("=") for p in parts[1:])
            out |= {"n": float(values["n"]), "errors": float(values["errors"]), "p50": float(values["p50"]),
                    "p99": float(values["p99"])}
        elif len(parts) == 2 and parts[0] == "99%":
            out["p99_sent"] = _ms(parts[1])
        elif line.startswith("Requests/sec:"):
            out["rate"] = float(parts[1])
    if not {"p50", "p99", "rate", "p99_sent"} <= out.keys():
        raise SystemExit(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return out


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def open_loop(url: str, headers: dict[str, str], rate: float, seconds: float, out: Any) -> None:
    """Runs in its own process: send at a fixed rate, record latency from each scheduled send time."""
    import httpx

    async def run() -> None:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as client:

            async def one(scheduled: float) -> None:
                nonlocal errors
                try:
                    response = await client.get(url)
                    await response.aread()
                    errors += response.status_code != 200
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - scheduled)

            start = time.perf_counter() + 0.2
            tasks = []
            for i in range(int(rate * seconds)):
                scheduled = start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(scheduled)))
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - start
        out.put({"latencies": latencies, "errors": errors, "elapsed": elapsed})

    asyncio.run(run())


def python_open_loop(url: str, token: str, rate: float, seconds: float) -> dict[str, float]:
    queue: Any = mp.get_context("spawn").Queue()
    worker = mp.get_context("spawn").Process(
        target=open_loop, args=(url, {"Authorization": f"Bearer {token}"}, rate, seconds, queue)
    )
    worker.start()
    result = queue.get()
    worker.join()
    ms = sorted(v * 1000 for v in result["latencies"])
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    return {"n": len(ms), "rate": len(ms) / result["elapsed"], "p50": ms[len(ms) // 2], "p99": p99,
            "p99_sent": float("nan"), "errors": result["errors"]}


def write_steadily(db: str, per_second: float, stop: Any) -> None:
    """Runs in its own process, as a watch would beside the server: audited changes at a steady rate."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from vigil.incidents.service import open_incident
    from vigil.releases.models import Release
    from vigil.store import Store

    store = Store(db)
    with store.read() as session:
        ids = list(session.scalars(select(Release.id)))
    rng, n = random.Random(5), 0
    while not stop.wait(1 / per_second):
        with store.write() as session:
            open_incident(session, release_id=rng.choice(ids), title=f"Live incident {n}", severity="low",
                          actor="bench writer", now=datetime.now(UTC))
        n += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--writes", type=float, default=0.0, help="audited writes per second beside the load")
    parser.add_argument("--python-load", action="store_true", help="use the Python open-loop generator")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    db = f"sqlite:///{work / 'bench.db'}"
    slug, token = seed(db, args.releases, args.incidents)
    endpoints = {
        REFERENCE: "/login",
        "overview  GET /": "/",
        "dashboard GET /releases/{demo}": f"/releases/{slug}",
        "api       GET /api/v1/releases": "/api/v1/releases",
        "api       GET /api/v1/releases/{demo}": f"/api/v1/releases/{slug}",
        "api       GET /api/v1/releases/{demo}/charts": f"/api/v1/releases/{slug}/charts",
    }
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_server(db, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    stop = mp.get_context("spawn").Event()
    writer = mp.get_context("spawn").Process(target=write_steadily, args=(db, args.writes, stop))
    try:
        _warm(base, token, endpoints.values(), use_wrk)
        if args.writes > 0:
            writer.start()
        tool = "wrk at a constant rate (wrk_rate.lua)" if use_wrk else "python open loop"
        print(
            f"\n{tool}, {args.rate:g} req/s for {args.seconds:g}s per endpoint, `vigil serve --workers "
            f"{args.workers}`, {args.writes:g} audited writes/s beside it; target p99 <= {TARGET_P99_MS:g} ms; "
            f"latency counted from each request's scheduled send time"
        )
        print(f"{'endpoint':46} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'p99 sent':>8} {'errors':>6} "
              f"{'p99/target':>10} {'p99/ref':>7} {'server CPU ms/req':>17}")
        results = {}
        for label, path in endpoints.items():
            before = cpu_seconds(server.pid)
            r = (wrk_constant_rate if use_wrk else python_open_loop)(base + path, token, args.rate, args.seconds)
            r["cpu_ms"] = 1000 * (cpu_seconds(server.pid) - before) / max(r["n"], 1)
            results[label] = r
            ref = results[REFERENCE]["p99"]
            print(f"{label:46} {r['rate']:6.1f} {r['p50']:7.1f} {r['p99']:7.1f} {r['p99_sent']:8.1f} "
                  f"{int(r['errors']):6d} {r['p99'] / TARGET_P99_MS:10.2f} {r['p99'] / ref:7.1f} "
                  f"{r['cpu_ms']:17.2f}", flush=True)
    finally:
        stop.set()
        if writer.is_alive():
            writer.join(timeout=30)
        server.terminate()
        server.wait(timeout=30)
    print("\nCPU ms per request in-process (the ASGI app called directly; independent of the machine's load)")
    print(f"{'endpoint':46} {'unchanged store':>15} {'after a write':>13}")
    for label, (hit, after) in zip(endpoints, cpu_per_request(db, token, list(endpoints.values())).values(),
                                   strict=True):
        print(f"{label:46} {hit:15.2f} {after:13.2f}")
    ok = all(r["p99"] <= TARGET_P99_MS and not r["errors"] and r["rate"] >= 0.95 * args.rate
             for r in results.values())
    print(json.dumps({"all_within_target": ok}))
    shutil.rmtree(work, ignore_errors=True)


def _warm(base: str, token: str, paths: Any, use_wrk: bool) -> None:
    """First visits parse plans and build chart series in each worker process: several connections per
    endpoint so every worker gets some, before anything is measured."""
    header = f"Authorization: Bearer {token}"
    for path in paths:
        command = (["wrk", "-t1", "-c8", "-d2s", "-H", header, base + path] if use_wrk
                   else ["curl", "-s", "-o", "/dev/null", "-H", header, base + path])
        subprocess.run(command, capture_output=True, check=False)


if __name__ == "__main__":
    main()
