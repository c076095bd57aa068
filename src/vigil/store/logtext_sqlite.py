"""The SQLite store's full-text index of log lines: an FTS5 index in a database file of its own.

Why a file of its own: SQLite lets one connection at a time write a database file. With the rows and their
FTS5 index in one file, storing a batch and tokenising it take turns on one core. With the index in
``<store>-fts``, an indexer connection tokenises on the second core while the ingester stores the next
batch (``IndexFile``, ``BackgroundIndexer``).

Why search stays exact although the index runs behind the rows:
- The rows are the truth and the index is derived from them. It records ``indexed_upto``: every row with a
  smaller or equal id that existed when it was indexed is in the index. Ids are never reused (log_records is
  AUTOINCREMENT), so an index entry can never come to stand for another line.
- Deletes (retention) go through an outbox: a trigger copies each deleted row's id and raw line to
  ``log_fts_pending``; the indexer removes those lines from the index (a contentless FTS5 index needs the
  text to forget a line) and records the last outbox entry it applied in the same transaction, so a crash
  neither loses nor repeats one. Until then a deleted line still in the index matches no row.
- Readers attach the index file, and each read transaction reads it first, pinning its snapshot: every row
  the reader sees is then either at most ``indexed_upto`` and in the index, or above it, in the unindexed
  tail, which the reader indexes into a temporary FTS5 table of its own with the same tokenizer.
- An index file that belongs to another store (``log_fts_owner``'s token differs) or has an older layout is
  rebuilt from the rows; so is a missing one.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from vigil.errors import StoreError

SCHEMA = "log_text"  # the index file's name on reader connections
# A word is a run of letters, digits and '_' (grep -w's word), matched case-insensitively.
FTS_OPTIONS = "raw, content='', tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\", columnsize=0"
LAYOUT = 1  # PRAGMA user_version of an index file in the layout below
# The index takes rows in transactions of at most this many (a rebuild too: it can be interrupted between
# them), also when it has fallen behind the ingester. Each transaction's terms gather in FTS5's in-memory
# hash until the commit writes them out as one segment, and a small hash stays in the processor's caches.
# Measured with the indexer alone (us/line): on 300 k JSON lines 4.3-4.7 in steps of 5,000 or 10,000
# rows, 5.3 at 20,000, 7.1 at 100,000, 8.6 in one step; on 1 M lines 5.2-5.5 at 20,000 but 6.6-7.1 at
# 10,000 (64 segments make a "crisis" merge, below) and 7.6 at 200,000.
ROWS_PER_TRANSACTION = 20_000
# Config of the index, measured with the indexer alone on 300 k and 1 M JSON lines (defaults: 6.5 us/line
# at 300 k): a 64 MB token hash makes one segment per indexed batch instead of one per megabyte of tokens,
# and no incremental merging (automerge 0) leaves merging to "crisis" merges of 64 segments at a time
# (crisismerge 64; 16 costs 5.8 instead of 4.1 us/line at 1 M lines). More segments make a lookup visit
# more b-trees: at 10 M lines a search still takes about 3 ms (bench/logs_search.py).
_CONFIG = (("hashsize", 64 * 1024 * 1024), ("automerge", 0), ("crisismerge", 64))


def index_path(database: str) -> Path:
    """The index file of the SQLite store at ``database``."""
    return Path(f"{database}-fts")


# ------------------------------------------------------------------ readers
def attach(dbapi_connection: sqlite3.Connection, database: str) -> None:
    """Give a reader connection the index file and a temporary index for the unindexed tail."""
    dbapi_connection.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (str(index_path(database)),))
    dbapi_connection.execute(f"CREATE VIRTUAL TABLE temp.log_tail USING fts5({FTS_OPTIONS})")
    dbapi_connection.execute("CREATE TABLE temp.log_tail_span (after INTEGER NOT NULL, upto INTEGER NOT NULL)")
    dbapi_connection.execute("INSERT INTO temp.log_tail_span VALUES (0, 0)")


def pin(connection: Any) -> None:
    """Read the index file first in every read transaction (see the module's docstring)."""
    connection.exec_driver_sql(f"SELECT count(*) FROM {SCHEMA}.sqlite_master")


@dataclass(frozen=True)
class Coverage:
    """How a read transaction finds lines: ``indexed`` (the index file serves ids up to ``upto``) and
    ``tail`` (ids above ``upto`` exist; temp.log_tail holds them)."""

    indexed: bool
    upto: int
    tail: bool


def coverage(session: Session) -> Coverage:
    """Where this read transaction finds lines, with temp.log_tail made to hold the unindexed tail."""
    if SCHEMA not in {row[1] for row in session.execute(text("PRAGMA database_list"))}:
        raise StoreError("free-text search over logs runs in a read session (store.read())")
    state = _state(session)
    token = session.execute(text("SELECT token FROM log_fts_owner")).scalar()
    indexed = state is not None and state[0] == token
    upto = state[1] if indexed and state is not None else 0
    newest = session.execute(text("SELECT coalesce(max(id), 0) FROM log_records")).scalar() or 0
    if newest > upto:
        _fill_tail(session, upto, newest)
    return Coverage(indexed=indexed, upto=upto, tail=newest > upto)


def _state(session: Session) -> tuple[str, int] | None:
    present = session.execute(text(f"SELECT count(*) FROM {SCHEMA}.sqlite_master "
                                   "WHERE type = 'table' AND name IN ('log_fts', 'log_fts_state')"))
    if present.scalar() != 2 or session.execute(text(f"PRAGMA {SCHEMA}.user_version")).scalar() != LAYOUT:
        return None
    row = session.execute(text(f"SELECT owner, indexed_upto FROM {SCHEMA}.log_fts_state")).first()
    return None if row is None else (row[0], row[1])


def _fill_tail(session: Session, upto: int, newest: int) -> None:
    """Make temp.log_tail index exactly the rows in (upto, newest]. Its writes belong to the read
    transaction and roll back with it; a second search in the same transaction finds it ready."""
    if session.execute(text("SELECT after, upto FROM temp.log_tail_span")).one() == (upto, newest):
        return
    session.execute(text("INSERT INTO temp.log_tail(log_tail) VALUES ('delete-all')"))
    session.execute(text("INSERT INTO temp.log_tail(rowid, raw) SELECT id, raw FROM log_records "
                         "WHERE id > :lo AND id <= :hi"), {"lo": upto, "hi": newest})
    session.execute(text("UPDATE temp.log_tail_span SET after = :a, upto = :u"), {"a": upto, "u": newest})


# ------------------------------------------------------------------ the indexer
class IndexFile:
    """The index file of one SQLite store, and the work of bringing it up to the store's rows."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.path = index_path(database)

    def connect(self) -> sqlite3.Connection:
        """An indexer connection: the index file as ``main``, the store attached as ``store``."""
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("ATTACH DATABASE ? AS store", (self.database,))
        if not self._usable(conn):
            self._create(conn)
        return conn

    @staticmethod
    def _usable(conn: sqlite3.Connection) -> bool:
        tables = {name for (name,) in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table' "
                                                   "AND name IN ('log_fts', 'log_fts_state')")}
        state = tables == {"log_fts", "log_fts_state"} and conn.execute(
            "SELECT count(*) FROM main.log_fts_state").fetchone()[0] == 1
        return state and conn.execute("PRAGMA user_version").fetchone()[0] == LAYOUT

    @classmethod
    def _create(cls, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")  # the store is attached: this locks it too, only this once
        try:
            if not cls._usable(conn):  # checked again under the lock: another process may have been first
                for (name,) in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table' "
                                            "AND name IN ('log_fts', 'log_fts_state')").fetchall():
                    conn.execute(f"DROP TABLE main.{name}")
                conn.execute(f"CREATE VIRTUAL TABLE main.log_fts USING fts5({FTS_OPTIONS})")
                for option, value in _CONFIG:
                    conn.execute("INSERT INTO main.log_fts(log_fts, rank) VALUES (?, ?)", (option, value))
                conn.execute("CREATE TABLE main.log_fts_state (owner TEXT NOT NULL, indexed_upto INTEGER "
                             "NOT NULL, pending_done INTEGER NOT NULL)")
                conn.execute("INSERT INTO main.log_fts_state VALUES ('', 0, 0)")
                conn.execute(f"PRAGMA main.user_version = {LAYOUT}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def behind(self, conn: sqlite3.Connection) -> bool:
        """True when rows or deletes wait for the index (read without taking any lock)."""
        owner, upto, done = conn.execute("SELECT owner, indexed_upto, pending_done FROM log_fts_state").fetchone()
        token = conn.execute("SELECT token FROM store.log_fts_owner").fetchone()[0]
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM store.log_records").fetchone()[0]
        pending = conn.execute("SELECT coalesce(max(seq), 0) FROM store.log_fts_pending").fetchone()[0]
        return bool(owner != token or newest > upto or pending > done)

    def catch_up(self, conn: sqlite3.Connection) -> int:
        """Apply waiting deletes and index every row not yet indexed; returns how many rows were indexed."""
        total = 0
        while True:
            indexed, applied = self._step(conn)
            total += indexed
            if applied:
                # Applied outbox entries can go; a write to the store, so only when there are any.
                conn.execute("DELETE FROM store.log_fts_pending WHERE seq <= ?", (applied,))
            if indexed < ROWS_PER_TRANSACTION:
                return total

    @staticmethod
    def _step(conn: sqlite3.Connection) -> tuple[int, int]:
        """One transaction: waiting deletes first, then at most ROWS_PER_TRANSACTION new rows.

        Deletes go first and only for ids already indexed: a row deleted before it was ever indexed is
        absent from the rows read below (same snapshot), so it is neither indexed nor "removed"."""
        conn.execute("BEGIN")
        try:
            # Take the index's write lock before reading (a deferred BEGIN leaves the store unlocked).
            conn.execute("UPDATE log_fts_state SET pending_done = pending_done")
            owner, upto, done = conn.execute("SELECT owner, indexed_upto, pending_done FROM log_fts_state").fetchone()
            token = conn.execute("SELECT token FROM store.log_fts_owner").fetchone()[0]
            last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM store.log_fts_pending").fetchone()[0]
            if owner != token:  # an index of another store, or a new one: start from nothing
                conn.execute("INSERT INTO log_fts(log_fts) VALUES ('delete-all')")
                owner, upto, done = token, 0, last_seq
            if last_seq > done:
                conn.execute("INSERT INTO log_fts(log_fts, rowid, raw) SELECT 'delete', id, raw "
                             "FROM store.log_fts_pending WHERE seq > ? AND seq <= ? AND id <= ?",
                             (done, last_seq, upto))
            newest = conn.execute("SELECT max(id) FROM (SELECT id FROM store.log_records WHERE id > ? "
                                  "ORDER BY id LIMIT ?)", (upto, ROWS_PER_TRANSACTION)).fetchone()[0]
            indexed = 0
            if newest is not None:
                indexed = conn.execute("INSERT INTO log_fts(rowid, raw) SELECT id, raw FROM store.log_records "
                                       "WHERE id > ? AND id <= ?", (upto, newest)).rowcount
                upto = newest
            conn.execute("UPDATE log_fts_state SET owner = ?, indexed_upto = ?, pending_done = ?",
                         (owner, upto, max(done, last_seq)))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return indexed, last_seq


def catch_up(database: str) -> int:
    """Bring the index file of the store at ``database`` up to its rows (a no-op when it is)."""
    index = IndexFile(database)
    conn = index.connect()
    try:
        return index.catch_up(conn) if index.behind(conn) else 0
    finally:
        conn.close()


# While an indexer runs, a thread waiting for the GIL gets it after this long instead of Python's 5 ms.
# The indexer needs the GIL for a moment around each of its statements (some 20 a batch), and the ingest
# thread holds it for the rest while it parses: at 5 ms a wait the indexer fell behind and its last
# batches finished 210-350 ms after the ingest's last commit instead of ~130. Measured on 1 M lines, four
# pairs of runs: searchable 109-125 k lines/s at 5 ms, 133-137 k at 0.5 ms, with less CPU on the ingest
# thread too (6.5-6.6 against 6.9-7.4 us/line). The interval is process-wide: the first indexer to start
# sets it, the last to end puts back what was there.
HANDOFF_SECONDS = 0.0005
_handoff_lock = threading.Lock()
_handoff_users = 0
_handoff_saved = 0.0


def _quick_handoff(on: bool) -> None:
    global _handoff_users, _handoff_saved
    with _handoff_lock:
        if on:
            if _handoff_users == 0:
                _handoff_saved = sys.getswitchinterval()
                sys.setswitchinterval(min(_handoff_saved, HANDOFF_SECONDS))
            _handoff_users += 1
        else:
            _handoff_users -= 1
            if _handoff_users == 0:
                sys.setswitchinterval(_handoff_saved)


class BackgroundIndexer:
    """Indexes on its own thread while the caller stores rows: ``wake()`` after each committed batch;
    leaving the ``with`` block waits until every stored row is indexed (and re-raises an indexing error)."""

    def __init__(self, database: str) -> None:
        self.index = IndexFile(database)
        self._wake = threading.Event()
        self._done = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="vigil-log-indexer", daemon=True)

    def __enter__(self) -> BackgroundIndexer:
        _quick_handoff(True)
        try:
            self._thread.start()
        except BaseException:
            _quick_handoff(False)
            raise
        return self

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        try:
            conn = self.index.connect()
            try:
                while True:
                    self._wake.wait()
                    self._wake.clear()
                    finishing = self._done
                    indexed = self.index.catch_up(conn)
                    if finishing:
                        return  # searchable now; the store checkpoints the rest itself
                    if indexed:
                        # Copy the store's log back into it here, on the indexer's core, rather than in
                        # the ingester's commits (their threshold is set above a batch: vigil.store.db).
                        # After every batch: a short log also keeps page lookups in it fast (measured).
                        conn.execute("PRAGMA store.wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except BaseException as exc:  # re-raised on the caller's thread when the block ends
            self.error = exc

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._done = True
        self._wake.set()
        self._thread.join()
        _quick_handoff(False)
        if self.error is not None and exc is None:
            raise StoreError(f"the log lines are stored, but the text index could not follow them "
                             f"(it catches up when the store is next opened): {self.error}") from self.error
