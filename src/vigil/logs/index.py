"""One interface over the engine-specific parts of the log store: bulk insert, free-text and field
predicates. Everything else about logs (filters, ordering, paging, per-minute counts) is portable SQL in
``vigil.logs.search``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from vigil.logs.query import Node

if TYPE_CHECKING:
    from vigil.store.db import Store

# The column order of a row handed to ``insert_rows``.
ROW_COLUMNS = ("ts", "level", "service", "release", "host", "component", "message", "raw", "fields",
               "format", "source")
Row = tuple[Any, ...]  # ts is epoch micros; fields is JSON text or None


class LogIndex(Protocol):
    name: str

    def insert_rows(self, session: Session, rows: Sequence[Row]) -> None:
        """Append ``rows`` inside the session's transaction (see ``follow_text_index`` for the text index)."""

    def text_predicate(self, session: Session, node: Node) -> ColumnElement[bool]:
        """A WHERE condition on log_records true for lines matching the query tree ``node`` (in a read
        session: on SQLite it may prepare the reader's view of lines not indexed yet)."""

    def field_predicate(self, key: str, value: str) -> ColumnElement[bool]:
        """A WHERE condition: the record's field ``key`` equals ``value`` compared as text."""

    def newest_matches(self, session: Session, node: Node, where: list[ColumnElement[bool]],
                       k: int) -> list[int] | None:
        """Ids of the ``k`` newest lines matching ``node`` and ``where`` (newest first), or None to let
        the caller run the plain ORDER BY query (which the engine's planner already does well)."""


def log_index(session: Session) -> LogIndex:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from vigil.logs.index_sqlite import SqliteLogIndex
        return SqliteLogIndex()
    if dialect == "postgresql":
        from vigil.logs.index_postgres import PostgresLogIndex
        return PostgresLogIndex()
    from vigil.errors import StoreError
    raise StoreError(f"logs are not supported on a {dialect} store (use SQLite or PostgreSQL)")


class TextIndexFollower(Protocol):
    def wake(self) -> None:
        """Rows were committed: index them (in the background)."""


class _InStep:
    """PostgreSQL's text index is updated with the rows: nothing to follow."""

    def wake(self) -> None:
        pass


def follow_text_index(store: Store) -> AbstractContextManager[TextIndexFollower]:
    """While the block runs, committed rows are indexed in the background; when it ends, every stored row
    is searchable. On SQLite the index lives in a file of its own (``vigil.store.logtext_sqlite``)."""
    if store.is_sqlite:
        from vigil.store.logtext_sqlite import BackgroundIndexer
        return BackgroundIndexer(_database(store))
    return nullcontext(_InStep())


def catch_up_text_index(store: Store) -> None:
    """Index every stored row and forget every deleted one now (a no-op on PostgreSQL)."""
    if store.is_sqlite:
        from vigil.store.logtext_sqlite import catch_up
        catch_up(_database(store))


def _database(store: Store) -> str:
    database = make_url(store.url).database
    assert database, "a SQLite store is a file"
    return database
