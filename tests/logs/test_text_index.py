"""The SQLite store's text index lives in a file of its own and may run behind the rows: search must stay
exact anyway (unindexed tail, deletes not yet applied, a foreign or broken index file, an upgrade)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, delete, func, select, text

from vigil.errors import StoreError
from vigil.logs.ingest import RowBuilder, Source, ingest_lines, insert_rows
from vigil.logs.models import LogBlock, LogRecord
from vigil.logs.search import LogFilter, count, search
from vigil.store import Store
from vigil.store.db import MIGRATIONS
from vigil.store.logtext_sqlite import index_path

from .support import NOW

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]


def _lines(start: int, stop: int) -> list[str]:
    """JSON lines, each with two of WORDS (so phrases and booleans have something to find)."""
    return [f'{{"ts":"2026-11-24T10:{i // 60 % 60:02d}:{i % 60:02d}Z","level":"info",'
            f'"msg":"{WORDS[i % 7]} {WORDS[i * 3 % 7]} n{i}"}}' for i in range(start, stop)]


def _grep(lines: list[str], *words: str) -> Counter[str]:
    """The lines holding every word, as grep -iw would find them."""
    found = [line for line in lines if all(re.search(rf"(?<![\w]){w}(?![\w])", line, re.I) for w in words)]
    return Counter(found)


def _found(store: Store, query: str) -> Counter[str]:
    with store.read() as session:
        lines = search(session, LogFilter(text=query), limit=100_000).lines
        assert count(session, LogFilter(text=query)) == len(lines)
    return Counter(line.raw for line in lines)


def _store_without_indexing(store: Store, lines: list[str]) -> None:
    """What a crash between committing rows and indexing them leaves behind."""
    rows = RowBuilder(Source("late", "app"), now=NOW).rows(lines)
    with store.write() as session:
        insert_rows(session, rows)


def _index_state(store: Store) -> tuple[int, int]:
    with sqlite3.connect(index_path(store.url.removeprefix("sqlite:///"))) as conn:
        upto = conn.execute("SELECT indexed_upto FROM log_fts_state").fetchone()[0]
    with store.read() as session:
        newest = session.scalar(select(func.max(LogRecord.id))) or 0
        pending = session.scalar(text("SELECT count(*) FROM log_fts_pending"))
    return newest - upto, pending


def test_search_is_exact_while_the_index_runs_behind(sqlite_store: Store) -> None:
    every = _lines(0, 3000)
    ingest_lines(sqlite_store, every[:2000], Source("first", "app"), now=NOW, batch=700)
    assert _index_state(sqlite_store) == (0, 0)
    _store_without_indexing(sqlite_store, every[2000:])
    assert _index_state(sqlite_store) == (1000, 0)  # a tail of 1000 rows the index has not seen
    for query, words in (("alpha", ["alpha"]), ('"bravo echo"', ["bravo", "echo"]), ("n2500", ["n2500"])):
        assert _found(sqlite_store, query) == _grep(every, *words), query
    with sqlite_store.read() as session:
        page = search(session, LogFilter(text="golf OR alpha"), limit=10)
        plain = [x for x in search(session, LogFilter(), limit=3000).lines
                 if re.search(r"\b(golf|alpha)\b", x.raw)][:10]
        assert [x.id for x in page.lines] == [x.id for x in plain]  # newest first across tail and index
        assert count(session, LogFilter(text="alpha NOT bravo")) == len(
            _grep(every, "alpha") - _grep(every, "alpha", "bravo"))

    # Deletes the index has not applied yet: the deleted lines match nothing.
    with sqlite_store.write() as session:
        session.execute(delete(LogRecord).where(LogRecord.id % 3 == 0))
    with sqlite_store.read() as session:
        left = [r.raw for r in session.scalars(select(LogRecord))]
    assert _index_state(sqlite_store)[1] == 1000
    assert _found(sqlite_store, "charlie") == _grep(left, "charlie")

    sqlite_store.dispose()
    reopened = Store(sqlite_store.url)  # opening the store brings the index up to the rows
    assert _index_state(reopened) == (0, 0)
    assert _found(reopened, "charlie") == _grep(left, "charlie")
    assert _found(reopened, '"bravo echo"') == _grep(left, "bravo", "echo")
    reopened.dispose()


def test_ids_are_never_reused_after_the_newest_lines_are_deleted(any_store: Store) -> None:
    ingest_lines(any_store, ['{"msg":"kept line"}'] * 5 + ['{"msg":"purged line"}'] * 5,
                 Source("s", "app"), now=NOW)
    with any_store.write() as session:
        newest = session.scalar(select(func.max(LogRecord.id)))
        session.execute(delete(LogRecord).where(LogRecord.raw.contains("purged")))
    ingest_lines(any_store, ['{"msg":"fresh line"}'] * 5, Source("s", "app"), now=NOW)
    with any_store.read() as session:
        assert session.scalar(select(func.min(LogRecord.id)).where(LogRecord.raw.contains("fresh"))) > newest
        assert count(session, LogFilter(text="purged")) == 0
        assert count(session, LogFilter(text="fresh")) == 5 and count(session, LogFilter(text="line")) == 10


def test_an_index_file_of_another_store_or_a_broken_one_is_rebuilt(tmp_path: Path) -> None:
    first, second = Store(f"sqlite:///{tmp_path / 'a.db'}"), Store(f"sqlite:///{tmp_path / 'b.db'}")
    ingest_lines(first, _lines(0, 500), Source("a", "app"), now=NOW)
    ingest_lines(second, _lines(500, 800), Source("b", "app"), now=NOW)
    first.dispose()
    second.dispose()
    shutil.copy(tmp_path / "a.db-fts", tmp_path / "b.db-fts")
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"b.db-fts{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(tmp_path / "b.db-fts") as conn:
        assert conn.execute("SELECT count(*) FROM log_fts WHERE log_fts MATCH 'n100'").fetchone()[0] == 1
    second = Store(f"sqlite:///{tmp_path / 'b.db'}")
    assert _found(second, "alpha") == _grep(_lines(500, 800), "alpha")
    assert _found(second, "n100") == Counter()
    second.dispose()
    with sqlite3.connect(tmp_path / "b.db-fts") as conn:
        conn.execute("DROP TABLE log_fts_state")
    second = Store(f"sqlite:///{tmp_path / 'b.db'}")
    assert _found(second, '"alpha golf"') == _grep(_lines(500, 800), "alpha", "golf")
    second.dispose()


def test_free_text_needs_a_read_session(sqlite_store: Store) -> None:
    ingest_lines(sqlite_store, ['{"msg":"x"}'], Source("s", "app"), now=NOW)
    with pytest.raises(StoreError, match="read session"), sqlite_store.write() as session:
        count(session, LogFilter(text="x"))


def test_block_time_spans_match_the_rows(sqlite_store: Store) -> None:
    """log_blocks (SQLite's early stop for newest-first search) is computed from the batch in Python."""
    lines = _lines(0, 9000)
    ingest_lines(sqlite_store, lines[:4100], Source("a", "app"), now=NOW, batch=333)
    ingest_lines(sqlite_store, lines[4100:], Source("b", "app"), now=NOW, batch=5000)
    with sqlite_store.read() as session:
        block = LogRecord.id.op(">>")(12)
        ts = func.cast(LogRecord.ts, LogBlock.min_ts.type)
        expected = {tuple(r) for r in session.execute(
            select(block, func.min(ts), func.max(ts)).group_by(block))}
        kept = {tuple(r) for r in session.execute(select(LogBlock.block, LogBlock.min_ts, LogBlock.max_ts))}
    assert kept == expected and len(kept) >= 3


def test_upgrading_a_store_with_logs_builds_the_index_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")  # the layout with the index inside the store
        conn.execute(text("INSERT INTO log_records (ts, level, service, message, raw, format, source) "
                          "VALUES (0, 'info', 'app', 'm', :raw, 'raw', 's')"),
                     [{"raw": line} for line in _lines(0, 300)])
        conn.execute(text("INSERT INTO log_fts(log_fts) VALUES ('rebuild')"))
    engine.dispose()
    store = Store(url)
    assert _found(store, "delta") == _grep(_lines(0, 300), "delta")
    assert _index_state(store) == (0, 0)
    store.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
        assert conn.execute(text("SELECT count(*) FROM log_fts WHERE log_fts MATCH 'delta'")).scalar() == len(
            _grep(_lines(0, 300), "delta"))
    engine.dispose()


def test_indexers_hand_the_gil_over_quickly_while_they_run(sqlite_store: Store, tmp_path: Path) -> None:
    """The switch interval is shortened while any indexer runs and put back when the last one ends."""
    import sys

    from vigil.store.logtext_sqlite import HANDOFF_SECONDS, BackgroundIndexer

    before = sys.getswitchinterval()
    seen: list[float] = []
    ingest_lines(sqlite_store, _lines(0, 50), Source("a", "app"), now=NOW,
                 on_stored=lambda: seen.append(sys.getswitchinterval()))
    assert seen == [HANDOFF_SECONDS] and sys.getswitchinterval() == before
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    first = BackgroundIndexer(sqlite_store.url.removeprefix("sqlite:///"))
    second = BackgroundIndexer(other.url.removeprefix("sqlite:///"))
    with first:
        with second:
            assert sys.getswitchinterval() == HANDOFF_SECONDS
        assert sys.getswitchinterval() == HANDOFF_SECONDS  # the first one still runs
    assert sys.getswitchinterval() == before
    other.dispose()
