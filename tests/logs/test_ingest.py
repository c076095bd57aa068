"""The ingest path: nothing dropped, unparsed lines counted, writer failures surface."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from vigil.errors import StoreError
from vigil.logs.ingest import Source, ingest_lines
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
