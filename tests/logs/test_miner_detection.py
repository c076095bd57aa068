"""The two log alert rules (the miner itself: test_miner.py)."""

from __future__ import annotations

from datetime import timedelta

from vigil.logs.detection import error_rate, new_error_signatures
from vigil.logs.ingest import Source, ingest_lines
from vigil.store import Store

from .support import NOW


def _line(minute: int, level: str, msg: str, second: int = 0) -> str:
    ts = (NOW + timedelta(minutes=minute, seconds=second)).isoformat()
    return f'{{"ts":"{ts}","level":"{level}","service":"checkout","msg":"{msg}"}}'


def test_error_rate_over_threshold(sqlite_store: Store) -> None:
    lines = [_line(-20, "error", f"db timeout after {i} ms", i) for i in range(30)]  # outside the window
    lines += [_line(-5, "error", f"db timeout after {i} ms", i) for i in range(12)]
    lines += [_line(-3, "error", f"db timeout after {i} ms", i) for i in range(25)]
    lines += [_line(-2, "info", "ok", i) for i in range(50)]
    ingest_lines(sqlite_store, lines, Source("t", "checkout"), now=NOW)
    with sqlite_store.read() as session:
        quiet = error_rate(session, service="checkout", now=NOW, threshold_per_minute=30)
        loud = error_rate(session, service="checkout", now=NOW, threshold_per_minute=10)
    assert quiet == []
    (signal,) = loud
    assert signal.rule == "log-error-rate" and signal.severity == "critical"  # peak 25 >= 2 x 10
    assert signal.first_seen == NOW - timedelta(minutes=5) and signal.count == 37
    assert len(signal.samples) == 3 and "db timeout" in signal.samples[0]


def test_new_error_signatures_after_a_release(sqlite_store: Store) -> None:
    release = NOW - timedelta(hours=1)
    before = [_line(-120 + i, "error", f"cache miss for key user:{i}") for i in range(10)]
    before += [_line(-110 + i, "info", f"order {i} shipped to warehouse {i % 3}") for i in range(10)]
    after = [_line(-50 + i, "error", f"cache miss for key user:{100 + i}") for i in range(5)]  # known
    after += [_line(-40 + i, "error", f"payment provider rejected token tok{i} with code {400 + i}")
              for i in range(4)]
    after += [_line(-30, "fatal", "worker 3 crashed: out of memory")]
    # new, but not an error:
    after += [_line(-20 + i, "info", f"new feature flag {i} evaluated") for i in range(3)]
    ingest_lines(sqlite_store, before + after, Source("t", "checkout"), now=NOW)
    with sqlite_store.read() as session:
        signals = new_error_signatures(session, service="checkout", release_started=release, now=NOW,
                                       release="checkout-2.3.0")
    assert [s.count for s in signals] == [4, 1]
    assert signals[0].summary.endswith("payment provider rejected token <*> with code <*>")
    assert signals[0].severity == "warning" and signals[1].severity == "critical"
    assert signals[0].first_seen == NOW - timedelta(minutes=40)
    assert len({s.fingerprint for s in signals}) == 2 and signals[0].release == "checkout-2.3.0"
