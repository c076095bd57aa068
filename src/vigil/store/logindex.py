"""One interface over the engine-specific parts of the log store: bulk insert, free-text and field
predicates. Everything else about logs (filters, ordering, paging, per-minute counts) is portable SQL in
``vigil.logs.search``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from vigil.logs.query import Node

# The column order of a row handed to ``insert_rows``.
ROW_COLUMNS = ("ts", "level", "service", "release", "host", "component", "message", "raw", "fields",
               "format", "source")
Row = tuple[Any, ...]  # ts is epoch micros; fields is JSON text or None


class LogIndex(Protocol):
    name: str

    def insert_rows(self, session: Session, rows: Sequence[Row]) -> None:
        """Append ``rows`` inside the session's transaction (the text index follows)."""

    def text_predicate(self, node: Node) -> ColumnElement[bool]:
        """A WHERE condition on log_records true for lines matching the query tree ``node``."""

    def field_predicate(self, key: str, value: str) -> ColumnElement[bool]:
        """A WHERE condition: the record's field ``key`` equals ``value`` compared as text."""

    def newest_matches(self, session: Session, node: Node, where: list[ColumnElement[bool]],
                       k: int) -> list[int] | None:
        """Ids of the ``k`` newest lines matching ``node`` and ``where`` (newest first), or None to let
        the caller run the plain ORDER BY query (which the engine's planner already does well)."""


def log_index(session: Session) -> LogIndex:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from vigil.store.logindex_sqlite import SqliteLogIndex
        return SqliteLogIndex()
    if dialect == "postgresql":
        from vigil.store.logindex_postgres import PostgresLogIndex
        return PostgresLogIndex()
    from vigil.errors import StoreError
    raise StoreError(f"logs are not supported on a {dialect} store (use SQLite or PostgreSQL)")
