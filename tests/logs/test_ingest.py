"""The ingest path: nothing dropped, unparsed lines counted, writer failures surface."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from vigil.errors import StoreError
from vigil.logs.index import ROW_COLUMNS
from vigil.logs.ingest import Source, ingest_lines, insert_rows
from vigil.logs.search import LogFilter, count, search
from vigil.store import Store

from .support import NOW


def test_every_line_is_kept_and_unparsed_ones_are_counted(sqlite_store: Store) -> None:
    lines = ['{"ts":"2026-11-24T10:00:00Z","level":"info","msg":"ok"}', "\x00\x01 binary-ish junk", "   ",
             "<34>1 2026-11-24T10:00:01Z host app - - - syslog line", "just words"]
    result = ingest_lines(sqlite_store, lines * 7, Source("mixed", "app"), now=NOW, batch=3)
    assert (result.lines, result.unparsed, result.blank) == (28, 14, 7)
    assert result.formats == {"json": 7, "raw": 14, "rfc5424": 7}
    with sqlite_store.read() as session:
        assert count(session, LogFilter()) == 28
        raw = search(session, LogFilter(text="words"), limit=100).lines
    assert len(raw) == 7 and all(x.raw == "just words" and x.ts == NOW and x.format == "raw" for x in raw)


def test_a_failing_writer_stops_the_ingest_with_its_error(sqlite_store: Store) -> None:
    with sqlite_store.write() as session:
        session.execute(text("DROP TABLE log_blocks"))
    with pytest.raises(StoreError, match=r"cannot store log lines.*log_blocks"):
        ingest_lines(sqlite_store, ['{"msg":"x"}'] * 50, Source("s", "app"), now=NOW, batch=10)


def test_rows_come_back_as_given_whatever_columns_they_share(any_store: Store) -> None:
    """Chunks where a column is NULL in every row, the same in every row, or mixed, and a remainder:
    every row reads back with its own values, in order (the SQLite insert binds shared values once)."""
    rows = []
    for i in range(1_000):
        part = i // 250  # four runs of 250 rows, each run with other columns in common
        rows.append((1_700_000_000_000_000 + i, "info" if i % 3 else "error",
                     "svc" if part != 1 else f"svc{i % 2}", None if part == 0 else f"r{part}",
                     None if part in (0, 3) or i % 7 else "h", None if part != 2 else "comp",
                     f"message {i}", f"raw line {i}", None if part == 0 else f'{{"k":{i}}}',
                     "json" if i % 250 else "text", "src" if part != 3 else f"src{i % 3}"))
    with any_store.write() as session:
        insert_rows(session, rows)
    columns = ", ".join(ROW_COLUMNS).replace("fields", "CAST(fields AS TEXT)")
    with any_store.read() as session:
        stored = [tuple(row) for row in session.execute(text(f"SELECT {columns} FROM log_records ORDER BY id"))]
    # PostgreSQL renders JSON with a space after the colon.
    assert [(*row[:8], row[8] and row[8].replace(" ", ""), *row[9:]) for row in stored] == rows
