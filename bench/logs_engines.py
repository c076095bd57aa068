"""Why SQLite FTS5 is the embedded engine: the same lines in SQLite (vigil's ingest path) and DuckDB.

    PYTHONPATH=src python bench/logs_engines.py --lines 500000

DuckDB gets its best case: its native C++ JSON reader loads the file (no Python per line). Its full-text
extension cannot be used here (it is downloaded on first use, and its index does not follow inserts),
so DuckDB searches by scanning: a case-insensitive word-boundary regex, like grep -iw.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from logs_common import generate, remove_store

from vigil.logs.ingest import Source
from vigil.logs.search import LogFilter, search
from vigil.logs.service import ingest_file
from vigil.store import Store

TERMS = ["declined", "KeyError", "inventory"]


def p50(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=500_000)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "vigil-logs-bench")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.workdir / f"lines-{args.lines}.jsonl"
    if not data.exists():
        generate(data, args.lines)

    db = args.workdir / f"engines-{args.lines}.db"
    remove_store(db)
    store = Store(f"sqlite:///{db}")
    t0 = time.perf_counter()
    ingest_file(store, data, Source(str(data), "bench"), now=datetime.now(UTC))
    sqlite_rate = args.lines / (time.perf_counter() - t0)
    with store.read() as session:
        sqlite_ms = {t: p50(lambda t=t: search(session, LogFilter(text=t), limit=50)) for t in TERMS}

    import duckdb

    duck_db = args.workdir / f"engines-{args.lines}.duckdb"
    duck_db.unlink(missing_ok=True)
    con = duckdb.connect(str(duck_db))
    t0 = time.perf_counter()
    con.execute("CREATE TABLE logs AS SELECT epoch_us(CAST(ts AS TIMESTAMPTZ)) AS ts, level, service, msg, "
                f"CAST(to_json(j) AS VARCHAR) AS raw FROM read_json('{data}', format='newline_delimited') j")
    duck_rate = args.lines / (time.perf_counter() - t0)
    duck_ms = {t: p50(lambda t=t: con.execute(
        "SELECT * FROM logs WHERE regexp_matches(raw, ?) ORDER BY ts DESC LIMIT 50",
        [rf"(?i)(^|[^[:alnum:]_]){t}([^[:alnum:]_]|$)"]).fetchall()) for t in TERMS}
    try:
        con.execute("INSTALL fts")
        fts = "available"
    except duckdb.Error as exc:
        fts = f"unavailable ({str(exc).splitlines()[0][:80]})"

    print(f"{'engine':28} {'ingest lines/s':>15} " + " ".join(f"{t + ' ms':>14}" for t in TERMS))
    for name, rate, ms in (("SQLite FTS5 (vigil path)", sqlite_rate, sqlite_ms),
                           ("DuckDB (native JSON, scan)", duck_rate, duck_ms)):
        print(f"{name:28} {rate:>15,.0f} " + " ".join(f"{ms[t]:>14.2f}" for t in TERMS))
    print(f"DuckDB ingest / SQLite ingest: {duck_rate / sqlite_rate:.1f}x; "
          "SQLite search speed-up over DuckDB: "
          + ", ".join(f"{t} {duck_ms[t] / sqlite_ms[t]:.0f}x" for t in TERMS))
    print(f"DuckDB fts extension: {fts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
