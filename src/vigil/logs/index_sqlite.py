"""The log index on SQLite: rows go in through multi-row INSERTs (``vigil.logs.rows_sqlite``), free
text becomes an FTS5 MATCH expression over the index file and the reader's unindexed tail
(``vigil.store.logtext_sqlite``), fields are read with ``json_extract`` (from the raw line of a JSON
line stored without them)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    bindparam,
    column,
    false,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from vigil.logs import rows_sqlite as logrows_sqlite
from vigil.logs.index import Row
from vigil.logs.models import LogRecord
from vigil.logs.parsers import ROLE_KEYS
from vigil.logs.query import And, Node, Not, Or, Term
from vigil.store.logtext_sqlite import SCHEMA, Coverage, coverage

BLOCK_BITS = 12  # 4096 ids per block in log_blocks
_BLOCKS = ("INSERT INTO log_blocks (block, min_ts, max_ts) VALUES (?, ?, ?) ON CONFLICT (block) DO UPDATE SET "
           "min_ts = min(min_ts, excluded.min_ts), max_ts = max(max_ts, excluded.max_ts)")


class SqliteLogIndex:
    name = "sqlite-fts5"

    def insert_rows(self, session: Session, rows: Sequence[Row]) -> None:
        # The raw DB-API cursor skips SQLAlchemy's per-row work; same connection, same transaction.
        dbapi = session.connection().connection.driver_connection
        assert dbapi is not None
        logrows_sqlite.insert(dbapi, rows)
        # The rows got consecutive ids ending at the last one inserted: this transaction holds the write lock.
        last = dbapi.execute("SELECT last_insert_rowid()").fetchone()[0]
        dbapi.executemany(_BLOCKS, time_spans(rows, first=last - len(rows) + 1))

    def newest_matches(self, session: Session, node: Node, where: list[ColumnElement[bool]],
                       k: int) -> list[int] | None:
        """Ids of the ``k`` newest matching lines, best first, or None when FTS5 cannot express ``node``.

        Matches stream newest id first, in growing chunks (the unindexed tail's, then the index file's:
        every tail id is above every indexed one), and the search stops once no line with a smaller id can
        be newer than the k-th best found so far: ``log_blocks`` keeps the latest time of every block of
        ids, an upper bound for everything not yet read. Lines mostly arrive in time order, so a common
        word costs a few chunks instead of sorting all its matches.
        """
        expression = to_fts5(node)
        if expression is None:
            return None
        best: list[tuple[int, int]] = []  # (ts, id) of candidates, all of them kept: k is small
        ts_micros = type_coerce(LogRecord.ts, BigInteger)
        for ids in _matches_newest_first(session, expression):
            best += [(ts, rid) for rid, ts in session.execute(
                select(LogRecord.id, ts_micros).where(LogRecord.id.in_(ids), *where))]
            best.sort(reverse=True)
            del best[k:]
            if len(best) == k and best[-1][0] > _newest_before(session, ids[-1]):
                break
        return [rid for _ts, rid in best]

    def text_predicate(self, session: Session, node: Node) -> ColumnElement[bool]:
        found = coverage(session)
        expression = to_fts5(node)
        if expression is not None:
            return _match(expression, found)
        # FTS5 has no unary NOT: combine one MATCH per term with SQL's boolean operators instead.
        return _sql(node, found)

    def field_predicate(self, key: str, value: str) -> ColumnElement[bool]:
        """JSON lines stored without their fields (``Parsed.fields_in_raw``) have them in the raw line,
        beside the keys that took a role: those are never fields of such a line, so for a key named like a
        role only the stored fields count."""
        path = '$."' + key.replace('"', '""') + '"'
        sql = "json_extract(log_records.fields, :path)" if key in ROLE_KEYS else (
            "CASE WHEN log_records.fields IS NULL AND log_records.format = 'json' "
            "THEN json_extract(log_records.raw, :path) ELSE json_extract(log_records.fields, :path) END")
        return sa_cast(text(sql).bindparams(path=path), Text) == value


def time_spans(rows: Sequence[Row], *, first: int) -> list[tuple[int, int, int]]:
    """(block, earliest, latest time) of each block of ids that ``rows``, given ids from ``first`` on, touch."""
    stamps = [row[0] for row in rows]
    spans, start, block = [], 0, first >> BLOCK_BITS
    while start < len(stamps):
        end = ((block + 1) << BLOCK_BITS) - first  # index of the first row in the next block
        part = stamps[start:end]
        spans.append((block, min(part), max(part)))
        start, block = end, block + 1
    return spans


_INDEX = table("log_fts", column("rowid"), schema=SCHEMA)
_TAIL = table("log_tail", column("rowid"), schema="temp")


def _matching(source: Any, expression: str) -> Select[Any]:
    return select(source.c.rowid).where(literal_column(source.name).op("MATCH")(
        bindparam("fts", expression, unique=True)))


def _match(expression: str, found: Coverage) -> ColumnElement[bool]:
    sources = [s for s, used in ((_INDEX, found.indexed), (_TAIL, found.tail)) if used]
    if not sources:
        return false()  # no index and no tail: there are no lines
    parts = [_matching(source, expression) for source in sources]
    return LogRecord.id.in_(parts[0] if len(parts) == 1 else union_all(*parts))


def _matches_newest_first(session: Session, expression: str) -> Iterator[list[int]]:
    """Chunks of matching ids, newest id first: the unindexed tail's, then the index file's."""
    found = coverage(session)
    for source, used in ((_TAIL, found.tail), (_INDEX, found.indexed)):
        cursor, chunk = None, 256
        while used:
            ranked = _matching(source, expression)
            if cursor is not None:
                ranked = ranked.where(source.c.rowid < cursor)
            ids = list(session.scalars(ranked.order_by(source.c.rowid.desc()).limit(chunk)))
            if ids:
                yield ids
                cursor = ids[-1]
            used = len(ids) == chunk  # fewer than asked: every match of this source has been read
            chunk = min(chunk * 4, 65_536)


def _newest_before(session: Session, cursor: int) -> int:
    """An upper bound of the time of every line whose id is below ``cursor``."""
    block = cursor >> BLOCK_BITS
    whole = session.execute(text("SELECT max(max_ts) FROM log_blocks WHERE block < :b"),
                            {"b": block}).scalar()
    part = session.execute(text("SELECT max(ts) FROM log_records WHERE id >= :lo AND id < :c"),
                           {"lo": block << BLOCK_BITS, "c": cursor}).scalar()
    return max(whole if whole is not None else -(1 << 62), part if part is not None else -(1 << 62))


def _sql(node: Node, found: Coverage) -> ColumnElement[bool]:
    if isinstance(node, Term):
        return _match(_phrase(node), found)
    if isinstance(node, Not):
        return not_(_sql(node.item, found))
    parts = [_sql(item, found) for item in node.items]
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

