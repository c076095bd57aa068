"""The log index on SQLite: rows go in through one prepared ``executemany`` and are added to the FTS5
index batch by batch, free text becomes an FTS5 MATCH expression, fields are read with ``json_extract``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    bindparam,
    column,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    type_coerce,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from vigil.logs.models import LogRecord
from vigil.logs.query import And, Node, Not, Or, Term
from vigil.store.logindex import ROW_COLUMNS, Row

BLOCK_BITS = 12  # 4096 ids per block in log_blocks
_BLOCKS = (f"INSERT INTO log_blocks (block, min_ts, max_ts) SELECT id >> {BLOCK_BITS}, min(ts), max(ts) "
           "FROM log_records WHERE id > ? GROUP BY 1 ON CONFLICT (block) DO UPDATE SET "
           "min_ts = min(min_ts, excluded.min_ts), max_ts = max(max_ts, excluded.max_ts)")
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
        dbapi.execute(_BLOCKS, (last,))

    def newest_matches(self, session: Session, node: Node, where: list[ColumnElement[bool]],
                       k: int) -> list[int] | None:
        """Ids of the ``k`` newest matching lines, best first, or None when FTS5 cannot express ``node``.

        Matches stream from FTS5 newest id first, in growing chunks, and the search stops once no line
        with a smaller id can be newer than the k-th best found so far: ``log_blocks`` keeps the latest
        time of every block of ids, an upper bound for everything not yet read. Lines mostly arrive in
        time order, so a common word costs a few chunks instead of sorting all its matches.
        """
        expression = to_fts5(node)
        if expression is None:
            return None
        best: list[tuple[int, int]] = []  # (ts, id) of candidates, all of them kept: k is small
        cursor, chunk = None, 256
        while True:
            ranked = select(_FTS.c.rowid).where(literal_column("log_fts").op("MATCH")(expression))
            if cursor is not None:
                ranked = ranked.where(_FTS.c.rowid < cursor)
            ranked = ranked.order_by(_FTS.c.rowid.desc()).limit(chunk)
            ids = list(session.scalars(ranked))
            if not ids:
                break
            cursor = ids[-1]
            ts_micros = type_coerce(LogRecord.ts, BigInteger)
            best += [(ts, rid) for rid, ts in session.execute(
                select(LogRecord.id, ts_micros).where(LogRecord.id.in_(ids), *where))]
            best.sort(reverse=True)
            del best[k:]
            if len(ids) < chunk:
                break  # every match has been read
            if len(best) == k and best[-1][0] > _newest_before(session, cursor):
                break
            chunk = min(chunk * 4, 65_536)
        return [rid for _ts, rid in best]

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


def _newest_before(session: Session, cursor: int) -> int:
    """An upper bound of the time of every line whose id is below ``cursor``."""
    block = cursor >> BLOCK_BITS
    whole = session.execute(text("SELECT max(max_ts) FROM log_blocks WHERE block < :b"),
                            {"b": block}).scalar()
    part = session.execute(text("SELECT max(ts) FROM log_records WHERE id >= :lo AND id < :c"),
                           {"lo": block << BLOCK_BITS, "c": cursor}).scalar()
    return max(whole if whole is not None else -(1 << 62), part if part is not None else -(1 << 62))


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

