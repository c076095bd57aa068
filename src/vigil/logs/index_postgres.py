"""The log index on PostgreSQL: rows go in with COPY, free text becomes word-boundary regular
expressions (``\\m word \\M``, case-insensitive) served by a trigram GIN index, fields use ``->>``.

The regex keeps the same meaning of "word" as the SQLite FTS5 tokenizer (letters, digits, '_'), so both
engines return the same lines for the same query.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, not_, or_
from sqlalchemy.orm import Session

from vigil.logs.index import ROW_COLUMNS, Row
from vigil.logs.models import LogRecord
from vigil.logs.query import And, Node, Not, Term

_COPY = f"COPY log_records ({', '.join(ROW_COLUMNS)}) FROM STDIN"
_GAP = "[^[:alnum:]_]+"


class PostgresLogIndex:
    name = "postgresql-trgm"

    def insert_rows(self, session: Session, rows: Sequence[Row]) -> None:
        dbapi = session.connection().connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cursor, cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)

    def text_predicate(self, session: Session, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Term):
            return LogRecord.raw.regexp_match(pattern(node), flags="i")
        if isinstance(node, Not):
            return not_(self.text_predicate(session, node.item))
        parts = [self.text_predicate(session, item) for item in node.items]
        return and_(*parts) if isinstance(node, And) else or_(*parts)

    def field_predicate(self, key: str, value: str) -> ColumnElement[bool]:
        return LogRecord.fields.op("->>")(key) == value

    def newest_matches(self, session: Session, node: Node, where: list[ColumnElement[bool]],
                       k: int) -> list[int] | None:
        return None  # the GIN bitmap scan plus a top-k sort is PostgreSQL's own best plan


def pattern(term: Term) -> str:
    # Words hold only letters, digits and '_': nothing in them is special to a regular expression.
    return r"\m" + _GAP.join(term.words) + r"\M"
