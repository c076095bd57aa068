"""The store: one database (SQLite by default, PostgreSQL for teams), migrated on first use.

On SQLite two engines share the file: readers start plain transactions, writers start ``BEGIN IMMEDIATE``
so a writer takes the lock before reading what it will change (no lost updates, no stale audit head),
while WAL lets readers carry on meanwhile. On PostgreSQL one engine serves both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from vigil.errors import StoreError
from vigil.store.audit import HEAD
from vigil.store.integrity import install as install_integrity
from vigil.store.logtext_sqlite import attach as attach_text_index
from vigil.store.logtext_sqlite import catch_up, index_path
from vigil.store.logtext_sqlite import pin as pin_text_index
from vigil.store.private import private_dirs, private_file
from vigil.store.renumbering import restamp_old_numbering
from vigil.store.revisions import head_revision, stamped_revision
from vigil.store.witness import WITNESS, default_witness
from vigil.store.witness import publish as publish_head

# The migrations live above the domains (vigil/migrations imports every model); the store only runs them.
MIGRATIONS = Path(__file__).parent.parent / "migrations"
# Arbitrary constant: the PostgreSQL advisory lock that serialises concurrent first-use migrations.
_MIGRATION_LOCK = 7_110_128


class Store:
    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            _ensure_parent(url)
            # Only readers attach the log text index file: a writer's BEGIN IMMEDIATE would lock it too
            # and stop the indexer (see vigil.store.logtext_sqlite).
            self._reader = _sqlite_engine(url, begin="BEGIN", text_index=True)
            self._writer = _sqlite_engine(url, begin="BEGIN IMMEDIATE")
        else:
            self._reader = self._writer = create_engine(url, pool_pre_ping=True)
        # The audit chain's head is published outside the database after each commit (vigil.store.witness)
        # and every tracked record is sealed in the chain as it is written (vigil.store.integrity).
        self.witness = _witness_path(url)
        info = {WITNESS: str(self.witness) if self.witness else None}
        self._read_sessions = sessionmaker(self._reader, expire_on_commit=False, info=info)
        self._write_sessions = sessionmaker(self._writer, expire_on_commit=False, info=info)
        install_integrity(self._write_sessions)
        event.listen(self._write_sessions, "after_commit", self._publish_head)
        if migrate:
            self.open_schema()

    def _publish_head(self, session: Session) -> None:
        head = session.info.pop(HEAD, None)
        if head is not None and self.witness is not None:
            publish_head(self.witness, *head)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read_sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work commits as one transaction when the block ends, or not at all.

        A store that has no room left or may not be written is a ``StoreError`` saying so (the caller
        reports it and carries on), not a driver's OperationalError escaping from wherever it surfaced."""
        try:
            with self._write_sessions() as session, session.begin():
                yield session
        except (OperationalError, sqlite3.OperationalError) as exc:
            problem = unwritable(exc)
            if problem is None:
                raise
            raise StoreError(f"cannot write to the store at {self.safe_url}: {problem}; "
                             "this change was not saved, what was saved before is intact") from exc

    def read_scalar(self, sql: str) -> Any:
        """The first column of the first row of one parameterless statement, run on a pooled reader
        connection without an ORM session or an explicit transaction: for reads made on every request
        (the store's version), where a session would cost more than the query."""
        connection = self._reader.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back whatever the driver began
        return row[0] if row else None

    def open_schema(self) -> None:
        """Migrate on first use, and only then: a store already at the newest revision opens without Alembic
        and without writing, so commands that only read start fast and a read-only store can be read."""
        if stamped_revision(self._reader) != head_revision():
            self.migrate()
        elif self.is_sqlite:
            _catch_up_text_index(str(make_url(self.url).database))

    def migrate(self, to: str = "head") -> None:
        """Upgrade the schema to revision ``to`` (the latest unless a test asks for an older one)."""
        from alembic import command  # here: a store at head never needs Alembic (see open_schema)
        from alembic.config import Config

        try:
            with self._writer.begin() as conn:
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
                restamp_old_numbering(conn)
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = conn
                command.upgrade(config, to)
            # The log text index is derived: after a crash or an upgrade it catches up here.
            if self.is_sqlite and to == "head":
                catch_up(str(make_url(self.url).database))
        except (OperationalError, sqlite3.OperationalError) as exc:
            raise StoreError(f"cannot open the store at {self.safe_url}: {getattr(exc, 'orig', exc)}") from None

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        """The engine writers use (for store-specific SQL under vigil.store)."""
        return self._writer

    def dispose(self) -> None:
        self._reader.dispose()
        if self._writer is not self._reader:
            self._writer.dispose()


def _witness_path(url: str) -> Path | None:
    from vigil.settings import Settings

    configured = Settings().audit_witness
    if configured is not None:
        return None if configured == "" else Path(configured)
    return default_witness(url)


def _catch_up_text_index(database: str) -> None:
    """Bring the log text index up to the rows where the store can be written; a read-only store is
    searched exactly without it (readers index the unindexed tail themselves, vigil.store.logtext_sqlite)."""
    try:
        catch_up(database)
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc) and "read-only" not in str(exc) and "unable to open" not in str(exc):
            raise StoreError(f"cannot open the log text index of {database}: {exc}") from None


# What the drivers say when a store cannot take a write; SQLSTATE 53100 disk_full, 25006 read_only_sql_transaction.
_UNWRITABLE = {
    "database or disk is full": "the disk is full",
    "no space left on device": "the disk is full",
    "attempt to write a readonly database": "the store is read-only",
    "read-only transaction": "the store is read-only",
}
_UNWRITABLE_STATES = {"53100": "the disk is full", "25006": "the store is read-only"}


def unwritable(exc: BaseException) -> str | None:
    """Why a write failed, when it failed for want of room or permission; None for any other error."""
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if state in _UNWRITABLE_STATES:
        return _UNWRITABLE_STATES[state]
    message = str(getattr(exc, "orig", exc)).lower()
    return next((why for said, why in _UNWRITABLE.items() if said in message), None)


def _ensure_parent(url: str) -> None:
    """Create a new SQLite store (and its log text index) 0600 before SQLite does, which would make them
    0644 under the usual umask: the store holds people, audit and evidence records. SQLite gives its WAL
    and shared-memory files the mode of the database file."""
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        private_dirs(Path(database).parent)
        if private_file(Path(database)):
            private_file(index_path(database))


def _sqlite_engine(url: str, *, begin: str, text_index: bool = False) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    database = str(make_url(url).database)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so the "begin" hook below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # A checkpoint every 40 MB of log rather than 4 MB: bulk log ingest commits ~10 MB batches, and
        # the log text indexer checkpoints after each one on its own core (vigil.store.logtext_sqlite).
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000",
                       "wal_autocheckpoint=10000"):
            cursor.execute(f"PRAGMA {pragma}")
        if not text_index:  # writers: a 64 MB page cache holds a whole log batch until its commit
            cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()
        if text_index:
            attach_text_index(dbapi_connection, database)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)
        if text_index:
            pin_text_index(conn)

    return engine
