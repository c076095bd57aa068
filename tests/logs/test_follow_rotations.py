"""Follow mode over any number of rotations while the follower was down (or between two of its polls):
every line is stored exactly once and in order, the rotated chain read oldest first before the live file."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from vigil.clock import ManualClock
from vigil.logs.follow import Follower
from vigil.logs.ingest import Source
from vigil.logs.models import LogRecord
from vigil.store import Store

from .support import NOW

_RUNS = itertools.count()


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'follow.db'}")
        yield store
        store.dispose()


class Log:
    """A log file its writer appends numbered lines to and logrotate renames (app.log → .1 → .2 …)."""

    def __init__(self, folder: Path) -> None:
        self.path, self.written = folder / "app.log", 0

    def write(self, count: int) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.writelines(f"2026-11-24T10:00:00Z INFO line {self.written + i}\n" for i in range(count))
        self.written += count

    def rotate(self) -> None:
        rotated = sorted((p for p in self.path.parent.glob("app.log.*")), key=lambda p: -int(p.suffix[1:]))
        for old in rotated:
            old.rename(old.with_suffix(f".{int(old.suffix[1:]) + 1}"))
        self.path.rename(self.path.parent / "app.log.1")


def _stored(store: Store, source: str) -> list[str]:
    with store.read() as session:
        return list(session.scalars(
            select(LogRecord.message).where(LogRecord.source == source).order_by(LogRecord.id)))


def _follower(store: Store, log: Log) -> Follower:
    return Follower(store, log.path, Source(str(log.path), "app"), clock=ManualClock(NOW))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.integers(1, 30), segments=st.lists(st.integers(0, 40), min_size=1, max_size=6),
       restart=st.booleans())
def test_no_line_is_lost_or_repeated_over_any_number_of_rotations(
    store: Store, before: int, segments: list[int], restart: bool
) -> None:
    with tempfile.TemporaryDirectory(prefix=f"follow-{next(_RUNS)}-") as tmp:
        log = Log(Path(tmp))
        log.write(before)
        follower = _follower(store, log)
        follower.poll()
        if restart:
            follower.close()  # stopped: only the stored cursor survives
        for count in segments:  # each segment: lines appended, then the file rotated away
            log.write(count)
            log.rotate()
        log.write(5)  # the live file
        if restart:
            follower = _follower(store, log)
        follower.poll()
        follower.close()
        assert _stored(store, str(log.path)) == [f"line {i}" for i in range(log.written)]


def test_the_reported_case_three_rotations_while_down(store: Store, tmp_path: Path) -> None:
    log = Log(tmp_path)
    log.write(600)
    first = _follower(store, log)
    first.poll()
    first.close()
    for _ in range(3):
        log.write(600)
        log.rotate()
    log.write(600)
    second = _follower(store, log)
    second.poll()
    second.close()
    assert _stored(store, str(log.path)) == [f"line {i}" for i in range(3_000)]
