"""Web benchmark: the overview, a release dashboard and the main API reads under 200 requests/s.

    apt-get install -y wrk            # the load generator (paced); without it a Python open loop is used
    PYTHONPATH=src python bench/web_load.py [--rate 200] [--seconds 15] [--workers 2] [--releases 10000]

Seeds a fresh SQLite store with the demo release (watched to the end) plus 10,000 releases with eight
checkpoints and decisions each (bulk inserts), and 100,000 incidents when the store has an ``incidents``
table. Starts
`vigil serve` as a separate process, warms each worker's caches, then drives each endpoint with Debian's
wrk, a separate process, paced by a small Lua script so the run holds about the target rate (plain wrk
sends as fast as it can); `--python-load` uses an open-loop Python generator instead, which measures
latency from each request's scheduled send time. Prints the achieved rate, p50/p99 per endpoint and p99
as a ratio of the 100 ms target, next to a reference endpoint (the sign-in page, no data) measured in the
same run.
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
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

TARGET_P99_MS = 100.0
ROOT = Path(__file__).resolve().parents[1]


def seed(db: str, releases: int, incidents: int) -> tuple[str, str]:
    """Fill the store; returns (demo slug, a viewer's token)."""
    from sqlalchemy import insert, inspect, select

    from vigil.access.service import add_user, create_token
    from vigil.clock import ManualClock
    from vigil.plan import parse_plan
    from vigil.releases.models import Release
    from vigil.releases.service import create_release
    from vigil.store import Store
    from vigil.watch import watch
    from vigil.watch.models import Checkpoint, Decision

    store = Store(db)
    text = (resources.files("vigil") / "examples" / "checkout-leak.yaml").read_text(encoding="utf-8")
    plan = parse_plan(text, "checkout-leak.yaml")
    clock = ManualClock(plan.release.date)
    demo = create_release(store, plan, text, "checkout-leak.yaml", now=clock.now(), slug="checkout-demo")
    watch(store, clock, [demo.slug])
    rng = random.Random(7)
    base = plan.release.date - timedelta(days=400)
    offsets = [int(o.total_seconds()) for o in plan.checkpoints]
    names = plan.checkpoint_names()
    t0 = time.perf_counter()
    with store.write() as session:
        rows = [
            {
                "slug": f"svc{i % 300}-{i}",
                "name": f"Release {i}",
                "service": f"svc{i % 300}",
                "version": f"1.{i}.0",
                "baseline_version": f"1.{i - 1}.0",
                "deployment_method": "canary",
                "started_at": base + timedelta(minutes=55 * i),
                "timezone": "Europe/Berlin",
                "status": rng.choice(["completed"] * 8 + ["rolled_back", "watching"]),
                "plan_id": demo.plan_id,
                "created_at": base,
            }
            for i in range(releases)
        ]
        session.execute(insert(Release), rows)
        started = dict(session.execute(select(Release.id, Release.started_at).where(Release.id != demo.id)).all())
        ids = list(started)
        checkpoints = []
        for release_id in ids:
            t = started[release_id]
            for name, offset in zip(names, offsets, strict=True):
                due = t + timedelta(seconds=offset)
                checkpoints.append(
                    {
                        "release_id": release_id,
                        "name": name,
                        "offset_seconds": offset,
                        "due_at": due,
                        "evaluated_at": due,
                        "state": "evaluated",
                        "traffic_percent": 50.0,
                        "window_start": due - timedelta(minutes=5),
                        "window_end": due,
                        "note": "",
                    }
                )
        session.execute(insert(Checkpoint), checkpoints)
        cp_ids = list(session.scalars(select(Checkpoint.id).where(Checkpoint.release_id != demo.id)))
        session.execute(
            insert(Decision),
            [
                {
                    "checkpoint_id": c,
                    "health": rng.choice(["healthy"] * 6 + ["warning", "critical"]),
                    "go_no_go": "continue",
                    "confidence": "high",
                    "risk": "low",
                    "recommendation": "continue",
                    "reasons": [],
                }
                for c in cp_ids
            ],
        )
        has_incidents = inspect(session.connection()).has_table("incidents")
        if has_incidents:
            _fill_incidents(session, incidents, ids, base)
    print(
        f"seeded {releases:,} releases, {len(checkpoints):,} checkpoints with decisions"
        + (
            f", {incidents:,} incidents"
            if has_incidents
            else " (no incidents table in this store: incidents not seeded)"
        )
        + f" in {time.perf_counter() - t0:.1f}s"
    )
    now = datetime.now(UTC)
    add_user(store, "Bench Viewer", now, role="viewer", release=demo.slug)
    token = create_token(store, "Bench Viewer", now, label="bench")[1]
    store.dispose()
    return demo.slug, token


def _fill_incidents(session: Any, count: int, release_ids: list[int], base: datetime) -> None:
    """Realistic incident rows: a quarter still open or investigating, the rest resolved or closed."""
    from sqlalchemy import insert

    from vigil.incidents.models import Incident

    rng = random.Random(11)
    states = ["open", "investigating"] + ["resolved"] * 3 + ["closed"] * 3
    for chunk in range(0, count, 10_000):
        rows = []
        for n in range(chunk, min(chunk + 10_000, count)):
            detected = base + timedelta(minutes=3 * n)
            status = rng.choice(states)
            done = status in ("resolved", "closed")
            severity = rng.choice(["critical", "high", "medium", "low", "low"])
            rows.append({
                "ticket": f"INC-B{n:06d}", "release_id": rng.choice(release_ids), "checkpoint_id": None,
                "title": f"Bench incident {n}", "severity": severity, "status": status,
                "major": severity in ("critical", "high"), "opened_by": "bench", "source": "manual",
                "detected_at": detected, "acknowledged_at": detected + timedelta(minutes=4),
                "resolved_at": detected + timedelta(minutes=50) if done else None,
                "closed_at": detected + timedelta(hours=2) if status == "closed" else None,
            })
        session.execute(insert(Incident), rows)


def start_server(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from vigil.cli.app import main; main()",
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


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
                    if response.status_code != 200:
                        errors += 1
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


def measure(url: str, headers: dict[str, str], rate: float, seconds: float) -> dict[str, float]:
    spawn = mp.get_context("spawn")
    queue: Any = spawn.Queue()
    worker = spawn.Process(target=open_loop, args=(url, headers, rate, seconds, queue))
    worker.start()
    result = queue.get()
    worker.join()
    ms = sorted(v * 1000 for v in result["latencies"])

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(p / 100 * len(ms)))]

    return {
        "n": len(ms),
        "rate": len(ms) / result["elapsed"],
        "p50": pct(50),
        "p99": pct(99),
        "max": ms[-1],
        "errors": result["errors"],
    }


PACE_LUA = """
-- Paced wrk: every connection waits its share of the interval before its next request, so the run
-- holds about the target rate instead of wrk's usual as-fast-as-possible loop.
local gap_ms
init = function(args) gap_ms = tonumber(args[1]) end
delay = function() return gap_ms end
"""


def wrk_paced(url: str, token: str, rate: float, seconds: float, connections: int = 20) -> dict[str, float] | None:
    """Debian's wrk at about ``rate`` req/s (each connection paced); None when wrk is not installed."""
    if shutil.which("wrk") is None:
        return None
    script = Path(tempfile.mkdtemp(prefix="vigil-wrk-")) / "pace.lua"
    script.write_text(PACE_LUA, encoding="utf-8")
    gap_ms = 1000.0 * connections / rate
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{int(seconds)}s",
        "--latency",
        "-s",
        str(script),
        "-H",
        f"Authorization: Bearer {token}",
        url,
        "--",
        f"{gap_ms:.1f}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    out: dict[str, float] = {"errors": 0.0}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in {"50%", "99%"}:
            out["p" + parts[0][:-1]] = _ms(parts[1])
        elif line.startswith("Requests/sec:"):
            out["rate"] = float(parts[1])
        elif "Non-2xx" in line or "Socket errors" in line:
            out["errors"] += sum(float(x.strip(",")) for x in parts if x.strip(",").isdigit())
    if not {"p50", "p99", "rate"} <= out.keys():
        raise SystemExit(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return out


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--python-load", action="store_true", help="use the Python open-loop generator")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    db = f"sqlite:///{work / 'bench.db'}"
    slug, token = seed(db, args.releases, args.incidents)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_server(db, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    endpoints = {
        "reference: GET /login (no data)": "/login",
        "overview  GET /": "/",
        "dashboard GET /releases/{demo}": f"/releases/{slug}",
        "api       GET /api/v1/releases": "/api/v1/releases",
        "api       GET /api/v1/releases/{demo}": f"/api/v1/releases/{slug}",
        "api       GET /api/v1/releases/{demo}/charts": f"/api/v1/releases/{slug}/charts",
    }
    try:
        # Warm every worker's caches (parsed plans, chart series) the way first visits do: each worker
        # process builds its own, so several connections per endpoint, not one.
        warm = [f"Authorization: Bearer {token}"]
        for path in endpoints.values():
            subprocess.run(
                ["wrk", "-t1", "-c8", "-d2s", "-H", warm[0], base + path]
                if shutil.which("wrk")
                else ["curl", "-s", "-o", "/dev/null", "-H", warm[0], base + path],
                capture_output=True,
                check=False,
            )
        tool = "wrk, paced" if shutil.which("wrk") and not args.python_load else "python open loop"
        print(
            f"\n{tool} at {args.rate:g} req/s for {args.seconds:g}s per endpoint, target p99 <= "
            f"{TARGET_P99_MS:g} ms ({args.releases:,} releases in the store)"
        )
        print(f"{'endpoint':44} {'rate':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'p99/target':>10}")
        results = {}
        for label, path in endpoints.items():
            r = None if args.python_load else wrk_paced(base + path, token, args.rate, args.seconds)
            if r is None:
                r = measure(base + path, headers, args.rate, args.seconds)
            results[label] = r
            print(
                f"{label:44} {r['rate']:7.1f} {r['p50']:8.1f} {r['p99']:8.1f} {int(r.get('errors', 0)):6d} "
                f"{r['p99'] / TARGET_P99_MS:10.2f}",
                flush=True,
            )
        ok = all(r["p99"] <= TARGET_P99_MS and not r.get("errors") for r in results.values())
        print(json.dumps({"all_within_target": ok}))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
