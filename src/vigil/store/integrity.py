"""Every domain record sealed in the audit chain, so a row changed behind vigil's back is found.

The audit chain proves its own entries were not changed; on its own it says nothing of the rows it
describes (a checkpoint's verdict, a rollback, an incident). So every write transaction that touches a
*tracked* table also appends one ``records.sealed`` entry holding a digest of each touched row as the
database holds it at commit. ``verify_records`` recomputes the digests of every tracked row and names each
row that was altered, inserted or deleted outside vigil.

Domain models opt in with ``@tracked`` (optionally leaving out columns that change on purpose without an
audit entry, such as an alert's occurrence counter). The store watches its write sessions
(``install``): the ORM reports each flushed object, and an ORM bulk ``update``/``delete`` on a tracked table
has the ids it will touch read first. Writes made with raw SQL are not seen, which is the point: they are
what verification is for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Table, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from vigil.store.audit import AuditEntry, append
from vigil.store.types import to_micros

SEALED = "records.sealed"
_TOUCHED = "vigil.touched"  # session.info key: {table name: {row id}}
_AT = "vigil.audited_at"  # session.info key: the latest time of this transaction's audit entries

T = TypeVar("T")


@dataclass(frozen=True)
class Tracked:
    table: Table
    exclude: frozenset[str]

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.table.columns if c.name not in self.exclude]


_TRACKED: dict[str, Tracked] = {}


def tracked(*, exclude: Iterable[str] = ()) -> Callable[[type[T]], type[T]]:
    """Class decorator: seal this model's rows in the audit chain (``exclude``: columns left out)."""

    def register(cls: type[T]) -> type[T]:
        table = cls.__table__  # type: ignore[attr-defined]
        _TRACKED[table.name] = Tracked(table, frozenset(exclude))
        return cls

    return register


def tracked_tables() -> dict[str, Tracked]:
    return dict(_TRACKED)


def row_digest(values: dict[str, Any]) -> str:
    """A digest of one row's column values as the database returns them."""
    body = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_micros(value)
    return str(value)


def install(sessions: sessionmaker[Session]) -> None:
    """Seal the tracked rows every write session of the store touches, in the same transaction."""
    event.listen(sessions, "after_flush", _note_flushed)
    event.listen(sessions, "do_orm_execute", _note_bulk)
    event.listen(sessions, "before_commit", _seal)
    event.listen(sessions, "after_rollback", _forget)


def _forget(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(_AT, None)


def _touched(session: Session) -> dict[str, set[int]]:
    return session.info.setdefault(_TOUCHED, {})


def _note_flushed(session: Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry):  # the seal takes the time of the transaction's own audit entries
            session.info[_AT] = max(obj.at, session.info.get(_AT, obj.at))
            continue
        table = getattr(type(obj), "__table__", None)
        if table is None or table.name not in _TRACKED:
            continue
        state = inspect(obj)
        if obj in session.dirty and not _changed(state, _TRACKED[table.name]):
            continue  # only left-out columns changed (an alert firing again): nothing to seal
        # New objects have no identity key yet in after_flush, but their primary key is filled in.
        (row_id,) = state.mapper.primary_key_from_instance(obj)
        if row_id is not None:
            _touched(session).setdefault(table.name, set()).add(int(row_id))


def _changed(state: Any, spec: Tracked) -> bool:
    for prop in state.mapper.column_attrs:
        if prop.columns[0].name not in spec.exclude and state.attrs[prop.key].history.has_changes():
            return True
    return False


def _note_bulk(state: ORMExecuteState) -> None:
    """An ORM ``update(Model).where(...)`` or ``delete``: read the ids it will touch before it runs."""
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    spec = _TRACKED.get(getattr(mapper.local_table, "name", "")) if mapper is not None else None
    if spec is None:
        return
    table = spec.table
    where = state.statement.whereclause  # type: ignore[attr-defined]
    query = select(table.c.id) if where is None else select(table.c.id).where(where)
    ids = {int(i) for i in state.session.execute(query).scalars()}
    _touched(state.session).setdefault(table.name, set()).update(ids)


def _seal(session: Session) -> None:
    touched = session.info.get(_TOUCHED)
    if not touched:
        return
    session.flush()  # what is still pending is part of the transaction too
    touched = session.info.pop(_TOUCHED, {})
    sealed: dict[str, dict[str, str | None]] = {}
    release_ids: set[int | None] = set()
    for name, ids in sorted(touched.items()):
        rows = {row["id"]: row for row in _rows(session, _TRACKED[name], ids)}
        sealed[name] = {str(i): (row_digest(dict(rows[i])) if i in rows else None) for i in sorted(ids)}
        release_ids |= {_release_of(rows[i]) for i in rows}
    only = release_ids.pop() if len(release_ids) == 1 else None
    at = session.info.pop(_AT, None) or _latest_audit_time(session)
    append(session, at=at, actor="vigil", action=SEALED, entity="records",
           entity_id=sum(len(v) for v in sealed.values()), release_id=only, payload={"rows": sealed})
    session.info.pop(_TOUCHED, None)  # the audit entry's own flush touches nothing tracked
    session.info.pop(_AT, None)


def _latest_audit_time(session: Session) -> datetime:
    """A time for a seal with no audit entry beside it: the chain's latest (time is injected, never read)."""
    latest = session.scalar(select(AuditEntry.at).order_by(AuditEntry.seq.desc()).limit(1))
    return latest if latest is not None else datetime(1970, 1, 1, tzinfo=UTC)


def _release_of(row: Any) -> int | None:
    value = row.get("release_id") if hasattr(row, "get") else None
    return int(value) if isinstance(value, int) else None


def _rows(session: Session, spec: Tracked, ids: Iterable[int] | None = None) -> Iterator[Any]:
    columns = [spec.table.c[name] for name in spec.columns]
    query = select(*columns).order_by(spec.table.c.id)
    if ids is not None:
        chosen = sorted(ids)
        for start in range(0, len(chosen), 500):  # stay under SQLite's bound-parameter limit
            yield from (r._mapping for r in session.execute(
                query.where(spec.table.c.id.in_(chosen[start:start + 500]))))
        return
    yield from (r._mapping for r in session.execute(query))


@dataclass(frozen=True)
class RecordProblem:
    table: str
    row_id: int
    message: str


def sealed_digests(session: Session) -> dict[str, dict[int, str | None]]:
    """The latest digest the chain holds for every tracked row (None: sealed as deleted)."""
    latest: dict[str, dict[int, str | None]] = {}
    entries = session.execute(select(AuditEntry.payload).where(AuditEntry.action == SEALED)
                              .order_by(AuditEntry.seq))
    for (payload,) in entries:
        for name, rows in (payload or {}).get("rows", {}).items():
            latest.setdefault(name, {}).update({int(i): d for i, d in rows.items()})
    return latest


def verify_records(session: Session) -> list[RecordProblem]:
    """Every tracked row compared with its seal: altered, added or deleted outside vigil."""
    sealed, problems = sealed_digests(session), []
    for name, spec in sorted(_TRACKED.items()):
        expected = dict(sealed.get(name, {}))
        for row in _rows(session, spec):
            row_id = int(row["id"])
            digest = expected.pop(row_id, None)
            label = f"{name} row {row_id}{_describe(row)}"
            if digest is None:
                problems.append(RecordProblem(name, row_id, f"{label} was written outside vigil (no audit "
                                                            "entry seals it)"))
            elif digest != row_digest(dict(row)):
                problems.append(RecordProblem(name, row_id, f"{label} was altered after it was recorded"))
        for row_id, digest in sorted(expected.items()):
            if digest is not None:
                problems.append(RecordProblem(name, row_id, f"{name} row {row_id} was deleted outside vigil"))
    return problems


def _describe(row: Any) -> str:
    """A few identifying columns, so the person reading the problem can find the record."""
    keys = [k for k in ("release_id", "checkpoint_id", "name", "metric", "ticket", "kind", "title") if k in row]
    shown = ", ".join(f"{k}={row[k]}" for k in keys[:3])
    return f" ({shown})" if shown else ""
