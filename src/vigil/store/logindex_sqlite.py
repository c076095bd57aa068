"""The log index on SQLite: rows go in through one prepared ``executemany`` and are added to the FTS5
index batch by batch, free text becomes an FTS5 MATCH expression, fields are read with ``json_extract``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, bindparam, column, literal_column, not_, or_, select, table, text
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from vigil.logs.models import LogRecord
from vigil.logs.query import And, Node, Not, Or, Term
from vigil.store.logindex import ROW_COLUMNS, Row

_INSERT = (f"INSERT INTO log_records ({', '.join(ROW_COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in ROW_COLUMNS)})")


class SqliteLogIndex:
    name = "sqlite-fts5"

    def insert_rows(self, session: Session, rows: Sequence[Row]) -> None:
        # The raw DB-API cursor skips SQLAlchemy's per-row work; same connection, same transaction.
        dbapi = session.connection().connection.driver_connection
        assert dbapi is not None
        last = dbapi.execute("SELECT coalesce(max(id), 0) FROM log_records").fetchone()[0]
        dbapi.executemany(_INSERT, rows)
        # Index the whole batch in one statement: FTS5 then tokenises in C without a trigger per row.
        dbapi.execute("INSERT INTO log_fts(rowid, raw) SELECT id, raw FROM log_records WHERE id > ?", (last,))

    def text_predicate(self, node: Node) -> ColumnElement[bool]:
        expression = to_fts5(node)
        if expression is not None:
            return _match(expression)
        # FTS5 has no unary NOT: combine one MATCH per term with SQL's boolean operators instead.
        return _sql(node)

    def field_predicate(self, key: str, value: str) -> ColumnElement[bool]:
        path = '$."' + key.replace('"', '""') + '"'
        return sa_cast(text("json_extract(log_records.fields, :path)").bindparams(path=path), Text) == value


_FTS = table("log_fts", column("rowid"))


def _match(expression: str) -> ColumnElement[bool]:
    matching = select(_FTS.c.rowid).where(
        literal_column("log_fts").op("MATCH")(bindparam("fts", expression, unique=True)))
    return LogRecord.id.in_(matching)


def _sql(node: Node) -> ColumnElement[bool]:
    if isinstance(node, Term):
        return _match(_phrase(node))
    if isinstance(node, Not):
        return not_(_sql(node.item))
    parts = [_sql(item) for item in node.items]
    return and_(*parts) if isinstance(node, And) else or_(*parts)


def _phrase(term: Term) -> str:
    # Words hold only letters, digits and '_', so quoting needs no escaping.
    return '"' + " ".join(term.words) + '"'


def to_fts5(node: Node) -> str | None:
    """The FTS5 MATCH expression for ``node``, or None when it needs a unary NOT FTS5 cannot express."""
    if isinstance(node, Term):
        return _phrase(node)
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        parts = [to_fts5(item) for item in node.items]
        return None if None in parts else " OR ".join(f"({p})" for p in parts)
    positives = [to_fts5(i) for i in node.items if not isinstance(i, Not)]
    negatives = [to_fts5(i.item) for i in node.items if isinstance(i, Not)]
    if not positives or None in positives or None in negatives:
        return None
    expression = " AND ".join(f"({p})" for p in positives)
    for negative in negatives:  # FTS5's NOT is binary: "a NOT b" = a and not b
        expression = f"({expression}) NOT ({negative})"
    return expression

