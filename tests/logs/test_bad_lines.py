"""Bad lines through the real ingest: whatever a line holds, it is stored exactly once (raw when no parser
survives it), counted, and never stops the ingest."""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from vigil.logs.ingest import TS_MAX, TS_MIN, Source, ingest_lines
from vigil.logs.models import LogRecord
from vigil.logs.timestamps import micros
from vigil.store import Store

from .support import NOW

_NO_NEWLINE = st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",))
_TEXT = st.text(_NO_NEWLINE, max_size=60)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e300, -1e300, 2**63, -(2**63) - 1, 1e17, "9999-12-31T23:59:59-23:59", "²", "0"])
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3), max_leaves=8)
_KEYS = st.sampled_from(["ts", "time", "timestamp", "t", "level", "msg", "service", "release", "host"]) | _TEXT
_JSON_LINE = st.dictionaries(_KEYS, _JSON, max_size=5).map(json.dumps)
_DIGITS = st.text(st.sampled_from("0123456789²٣"), min_size=1, max_size=4)
_MONTH = st.sampled_from(["Jan", "Feb", "Aaa", "Dec", "Zzz"])
# Lines shaped like the formats the parsers look for, with their numbers out of range.
_SHAPED = st.one_of(
    st.tuples(_MONTH, _DIGITS, _DIGITS, _DIGITS, _DIGITS, _TEXT).map(
        lambda p: f"{p[0]} {p[1]} {p[2]}:{p[3]}:{p[4]} host app: {p[5]}"),
    st.tuples(_DIGITS, _DIGITS, _DIGITS, _TEXT).map(lambda p: f"{p[0]}-{p[1]}-{p[2]}T00:00:00Z {p[3]}"),
    st.tuples(_TEXT, _DIGITS).map(lambda p: f"t={p[1]} level=info msg={p[0]!r}"),
    st.tuples(_DIGITS, _TEXT).map(lambda p: f"<{p[0]}>1 - - - - - - {p[1]}"),
)
LINES = st.lists(st.one_of(_TEXT, _JSON_LINE, _SHAPED), min_size=1, max_size=30)
KNOWN_BAD = ["Jan 0 00:00:00 0 0:", "Aaa 00 00:00:00", "t=²", '{"ts": 1e300}', '{"ts": -1e300}',
             '{"ts": "9999-12-31T23:59:59-23:59"}', '{"ts": 99999999999999999999}']


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'logs.db'}")
        yield store
        store.dispose()


_SOURCES = itertools.count()


def _ingest_and_read(store: Store, lines: list[str]) -> list[LogRecord]:
    name = f"fuzz-{next(_SOURCES)}"
    result = ingest_lines(store, lines, Source(name, "app"), now=NOW, batch=7)
    kept = [line for line in lines if line and not line.isspace()]
    assert (result.lines, result.blank) == (len(kept), len(lines) - len(kept))
    with store.read() as session:
        rows = list(session.scalars(select(LogRecord).where(LogRecord.source == name).order_by(LogRecord.id)))
    assert [row.raw for row in rows] == kept  # every line exactly once, in order
    assert result.unparsed == sum(row.format == "raw" for row in rows)
    assert all(TS_MIN <= micros(row.ts) < TS_MAX for row in rows)
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(lines=LINES)
def test_any_line_is_stored_exactly_once_and_never_stops_the_ingest(store: Store, lines: list[str]) -> None:
    _ingest_and_read(store, lines)


def test_the_lines_that_crashed_the_parser_are_stored_raw_with_the_ingest_time(store: Store) -> None:
    rows = _ingest_and_read(store, KNOWN_BAD)
    assert all(row.ts == NOW for row in rows)
    assert {row.raw for row in rows if row.format == "raw"} >= {
        "Jan 0 00:00:00 0 0:", "Aaa 00 00:00:00", '{"ts": 1e300}', '{"ts": -1e300}'}


def test_one_impossible_time_loses_none_of_the_lines_after_it(store: Store) -> None:
    good = [json.dumps({"ts": "2026-11-24T10:00:00Z", "msg": f"line {i}"}) for i in range(2_000)]
    rows = _ingest_and_read(store, ['{"ts": 1e300}', *good])
    assert [row.format for row in rows] == ["raw"] + ["json"] * 2_000
