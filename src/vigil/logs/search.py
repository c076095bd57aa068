"""Searching stored lines: filters, free text, newest first with paging, per-minute level counts.

The SQL here is portable; only the free-text and field predicates come from the engine's log index.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, func, select, type_coerce
from sqlalchemy.orm import Session

from vigil.errors import VigilError
from vigil.logs.index import log_index
from vigil.logs.models import LEVELS, LogRecord
from vigil.logs.parsers import json_fields
from vigil.logs.query import parse_query
from vigil.store.types import from_micros

_COLUMN_FIELDS = {"host": LogRecord.host, "component": LogRecord.component, "format": LogRecord.format,
                  "source": LogRecord.source}
MINUTE_US = 60_000_000


class FilterError(VigilError):
    """A search filter that makes no sense (an unknown level, a field without '=')."""


@dataclass(frozen=True)
class LogFilter:
    text: str = ""
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    levels: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    release: str | None = None
    fields: tuple[tuple[str, str], ...] = ()

    def describe(self) -> dict[str, Any]:
        out = asdict(self)
        out["since"] = self.since.isoformat() if self.since else None
        out["until"] = self.until.isoformat() if self.until else None
        return out


def levels_from(min_level: str | None, levels: list[str] | None) -> tuple[str, ...]:
    """``--level a --level b`` picks exact levels, ``--min-level warn`` this level and worse."""
    chosen = [lv.lower() for lv in levels or []]
    for lv in [*chosen, *([min_level.lower()] if min_level else [])]:
        if lv not in LEVELS:
            raise FilterError(f"unknown level {lv!r} (use one of {', '.join(LEVELS)})")
    if min_level:
        chosen += list(LEVELS[LEVELS.index(min_level.lower()):])
    return tuple(dict.fromkeys(chosen))


def fields_from(pairs: list[str] | None) -> tuple[tuple[str, str], ...]:
    out = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise FilterError(f"a field filter looks like key=value, not {pair!r}")
        out.append((key, value))
    return tuple(out)


@dataclass(frozen=True)
class LogLine:
    id: int
    ts: datetime
    level: str
    service: str
    release: str | None
    host: str | None
    component: str | None
    message: str
    raw: str
    fields: dict[str, Any] | None = field(default=None)
    format: str = ""
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["ts"] = self.ts.isoformat()
        return out


@dataclass(frozen=True)
class SearchPage:
    lines: list[LogLine]
    offset: int
    limit: int
    has_more: bool


def conditions(session: Session, flt: LogFilter, *, text: bool = True) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.since is not None:
        where.append(LogRecord.ts >= flt.since)
    if flt.until is not None:
        where.append(LogRecord.ts < flt.until)
    if flt.levels:
        where.append(LogRecord.level.in_(flt.levels))
    if flt.services:
        where.append(LogRecord.service.in_(flt.services))
    if flt.release is not None:
        where.append(LogRecord.release == flt.release)
    index = log_index(session)
    for key, value in flt.fields:
        column = _COLUMN_FIELDS.get(key)
        where.append(column == value if column is not None else index.field_predicate(key, value))
    node = parse_query(flt.text) if text else None
    if node is not None:
        where.append(index.text_predicate(session, node))
    return where


def _lines(session: Session, query: Select[LogRecord]) -> list[LogLine]:
    return [LogLine(id=r.id, ts=r.ts, level=r.level, service=r.service, release=r.release, host=r.host,
                    component=r.component, message=r.message, raw=r.raw, fields=_fields(r), format=r.format,
                    source=r.source) for r in session.scalars(query)]


def _fields(record: LogRecord) -> dict[str, Any] | None:
    # The SQLite store keeps a plain JSON line's fields only in its raw line (``Parsed.fields_in_raw``).
    if record.fields is None and record.format == "json":
        return json_fields(record.raw)
    return record.fields


def search(session: Session, flt: LogFilter, *, limit: int = 50, offset: int = 0) -> SearchPage:
    """One page of matching lines, newest first (ties by arrival order, latest first)."""
    if limit < 1 or offset < 0:
        raise FilterError("the page size must be at least 1 and the offset not negative")
    node = parse_query(flt.text)
    ids = None if node is None else log_index(session).newest_matches(
        session, node, conditions(session, flt, text=False), offset + limit + 1)
    newest_first = (LogRecord.ts.desc(), LogRecord.id.desc())
    if ids is not None:
        query = select(LogRecord).where(LogRecord.id.in_(ids[offset:])).order_by(*newest_first)
    else:
        query = select(LogRecord).where(*conditions(session, flt)).order_by(*newest_first)
        query = query.limit(limit + 1).offset(offset)
    lines = _lines(session, query)
    return SearchPage(lines=lines[:limit], offset=offset, limit=limit, has_more=len(lines) > limit)


def all_matches(session: Session, flt: LogFilter, *, cap: int) -> list[LogLine]:
    """Every matching line, oldest first, at most ``cap`` of them (for frozen excerpts)."""
    query = (select(LogRecord).where(*conditions(session, flt))
             .order_by(LogRecord.ts, LogRecord.id).limit(cap))
    return _lines(session, query)


def arrived_after(session: Session, flt: LogFilter, after_id: int, *, limit: int = 1000) -> list[LogLine]:
    """Matching lines stored after the record ``after_id``, in arrival order (for tail --follow)."""
    query = (select(LogRecord).where(LogRecord.id > after_id, *conditions(session, flt))
             .order_by(LogRecord.id).limit(limit))
    return _lines(session, query)


def count(session: Session, flt: LogFilter) -> int:
    return session.scalar(select(func.count()).select_from(LogRecord).where(*conditions(session, flt))) or 0


@dataclass(frozen=True)
class MinuteCount:
    minute: datetime
    level: str
    count: int


def per_minute(session: Session, flt: LogFilter) -> list[MinuteCount]:
    """How many matching lines each level had in each minute (for charts), oldest minute first."""
    # Floor division on the raw micros (type_coerce stops the timestamp type converting the result).
    minute = (type_coerce(LogRecord.ts, BigInteger) // MINUTE_US).label("minute")
    query = (select(minute, LogRecord.level, func.count()).where(*conditions(session, flt))
             .group_by(minute, LogRecord.level).order_by(minute, LogRecord.level))
    return [MinuteCount(from_micros(int(m) * MINUTE_US), level, n) for m, level, n in session.execute(query)]

