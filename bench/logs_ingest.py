"""Ingest speed into the embedded store, with references measured in the same run.

    PYTHONPATH=src python bench/logs_ingest.py --lines 1000000

Prints lines/s for the full ingest path (parse + SQLite rows + FTS5 index, committed in batches) and
ratios against: the 150,000 lines/s goal, reading the file (`wc -l`), parsing alone (the JSON parser
without the store), and the bare SQLite insert of (ts, raw) with no index.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from logs_common import generate

from vigil.logs.ingest import RowBuilder, Source
from vigil.logs.service import ingest_file
from vigil.store import Store

GOAL = 150_000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "vigil-logs-bench")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.workdir / f"lines-{args.lines}.jsonl"
    if not data.exists():
        print(f"generating {args.lines:,} JSON lines ...", flush=True)
        generate(data, args.lines)
    now = datetime.now(UTC)

    t0 = time.perf_counter()
    subprocess.run(["wc", "-l", str(data)], check=True, capture_output=True)
    wc = time.perf_counter() - t0

    builder = RowBuilder(Source(str(data), "bench"), now=now)
    t0 = time.perf_counter()
    with data.open(encoding="utf-8") as fh:
        rows = len(builder.rows(fh))
    parse = time.perf_counter() - t0

    bare_db = args.workdir / "bare.db"
    bare_db.unlink(missing_ok=True)
    conn = sqlite3.connect(bare_db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, ts INTEGER, raw TEXT)")
    t0 = time.perf_counter()
    with data.open(encoding="utf-8") as fh:
        batch: list[tuple[int, str]] = []
        for i, line in enumerate(fh):
            batch.append((i, line))
            if len(batch) == 20_000:
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO t (ts, raw) VALUES (?, ?)", batch)
                conn.execute("COMMIT")
                batch = []
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t (ts, raw) VALUES (?, ?)", batch)
        conn.execute("COMMIT")
    bare = time.perf_counter() - t0
    conn.close()
    bare_db.unlink()

    db = args.workdir / f"ingest-{args.lines}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = Store(f"sqlite:///{db}")
    t0 = time.perf_counter()
    result = ingest_file(store, data, Source(str(data), "bench"), now=now)
    full = time.perf_counter() - t0
    store.dispose()

    rate = result.lines / full
    print(f"lines                      {result.lines:>12,}  (parsed {rows:,}, unparsed {result.unparsed})")
    print(f"ingest (parse+rows+FTS5)   {rate:>12,.0f} lines/s   {full:8.2f} s")
    print(f"  reference wc -l          {result.lines / wc:>12,.0f} lines/s   {wc:8.2f} s")
    print(f"  reference parse only     {rows / parse:>12,.0f} lines/s   {parse:8.2f} s")
    print(f"  reference bare insert    {result.lines / bare:>12,.0f} lines/s   {bare:8.2f} s")
    print(f"ratio to the {GOAL:,} lines/s goal: {rate / GOAL:.2f}x  ({'met' if rate >= GOAL else 'NOT met'})")
    print(f"ratio to parse only: {rate / (rows / parse):.2f}x; "
          f"to bare insert: {rate / (result.lines / bare):.2f}x; to wc -l: {rate / (result.lines / wc):.4f}x")
    print(f"store size {db.stat().st_size / 1e6:,.0f} MB for {data.stat().st_size / 1e6:,.0f} MB of logs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
