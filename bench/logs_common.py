"""Shared by the log benchmarks: a generator of realistic JSON log lines and small timing helpers."""

from __future__ import annotations

import random
import statistics
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SERVICES = ["checkout", "payments", "inventory", "search", "accounts", "shipping", "gateway", "notifier"]
PATHS = ["/api/orders", "/api/cart", "/api/users", "/api/products", "/api/payments", "/health"]
# (level, weight, template); {n} numbers, {id} hex ids, {ip} addresses, {svc} a service name
TEMPLATES = [
    ("info", 40, "GET {path}/{n} completed status=200 in {n}ms"),
    ("info", 15, "user {n} logged in from {ip}"),
    ("debug", 8, "cache miss key=user:{n} region=eu-west-{d}"),
    ("info", 10, "published event order.created id={id} partition={d}"),
    ("warn", 5, "slow query on table orders took {n} ms rows={n}"),
    ("warn", 3, "retrying request to {svc} attempt={d} after connection reset"),
    ("error", 2, "payment declined for order {id}: card_expired"),
    ("error", 1, "timeout calling {svc} after {n}ms"),
    ("error", 1, "unhandled exception in worker {d}: KeyError 'sku'"),
    ("info", 15, "heartbeat ok queue_depth={n} lag_ms={n}"),
]
_WEIGHTS = [w for _, w, _ in TEMPLATES]


def _fill(rng: random.Random, template: str) -> str:
    out = template
    while "{" in out:
        head, rest = out.split("{", 1)
        key, tail = rest.split("}", 1)
        value = {"n": lambda: str(rng.randint(1, 99999)), "d": lambda: str(rng.randint(1, 9)),
                 "id": lambda: f"{rng.getrandbits(48):012x}",
                 "ip": lambda: f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                 "svc": lambda: rng.choice(SERVICES), "path": lambda: rng.choice(PATHS)}[key]()
        out = head + value + tail
    return out


def generate(path: Path, lines: int, *, seed: int = 7, start: datetime | None = None) -> Path:
    """Write ``lines`` JSON log lines (about 230 bytes each), one millisecond apart on average."""
    rng = random.Random(seed)
    moment = start or datetime(2026, 11, 1, tzinfo=UTC)
    step = timedelta(microseconds=1000)
    picks = rng.choices(range(len(TEMPLATES)), weights=_WEIGHTS, k=min(lines, 100_000))
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            level, _, template = TEMPLATES[picks[i % len(picks)]]
            moment += step
            service = SERVICES[i % 8 if i % 3 else rng.randrange(8)]
            out.write(
                f'{{"ts":"{moment.isoformat().replace("+00:00", "Z")}","level":"{level}",'
                f'"service":"{service}","release":"{service}-1.{i // 2_000_000}.0",'
                f'"host":"{service}-{rng.randint(1, 6)}","msg":"{_fill(rng, template)}",'
                f'"request_id":"{rng.getrandbits(64):016x}","user_id":{rng.randint(1, 500000)},'
                f'"duration_ms":{rng.randint(1, 3000)}}}\n')
    return path


def remove_store(db: Path) -> None:
    """Delete a SQLite store and every file beside it (its log, and its text index file and that one's)."""
    for suffix in ("", "-wal", "-shm", "-fts", "-fts-wal", "-fts-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def store_size(db: Path) -> int:
    """Bytes on disk of a SQLite store with its text index file."""
    return sum(p.stat().st_size for p in db.parent.glob(f"{db.name}*") if p.is_file())


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    """Best wall time over ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def grep_count(args: list[str], path: Path) -> int:
    done = subprocess.run(["grep", "-c", *args, str(path)], capture_output=True, text=True, check=False)
    return int(done.stdout.strip() or 0)


def p50(values: list[float]) -> float:
    return statistics.median(values)
