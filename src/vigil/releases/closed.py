"""A closed release is read-only: the one rule, enforced for every write path at once.

Every ORM flush is checked before it reaches the database: each object it would insert, change or delete
is traced to its release (its ``release_id``, or its parent's: a checkpoint's decision, an incident's
timeline entry, a retrospective's learning…), and if any of those releases is closed the flush raises
``ReleaseClosed`` and the caller's transaction rolls back, so nothing is written. Checking at the flush
rather than in each service function means a write path added later cannot forget the rule.
``ensure_open`` is the same check for callers that must refuse before doing something outside the
store (running smoke checks, writing a knowledge-base page).

Not release records, so still writable on a closed release: the audit chain (refusals and the reopening
are audited), dashboard views (reading a closed release is allowed), access roles (an auditor can be
given access later), the delivery state of notifications queued before closure, and an evidence item's
retention state (legal hold, purge), which the retention policy manages long after closure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.interfaces import MANYTOONE

from vigil.errors import ReleaseClosed
from vigil.releases.models import Release

ALWAYS_WRITABLE = frozenset({"audit_log", "audit_head", "dashboard_views", "release_roles"})
# Tables whose rows of a closed release may still be updated, in these columns only (None: any column).
UPDATABLE: dict[str, frozenset[str] | None] = {
    "notifications": None,
    "evidence_items": frozenset({"legal_hold", "hold_reason", "purged_at", "purged_by"}),
}
_CLOSURE_ACT = "vigil.closure_act"
_PARENTS, _KNOWN_OPEN = "vigil.release_of_parent", "vigil.releases_known_open"


def closure_act(session: Session) -> None:
    """Mark this transaction as the Sponsor's closing or reopening act, the only writes a closed release
    accepts (its own closed state and the closure sign-off). The session ends with the transaction."""
    session.info[_CLOSURE_ACT] = True


def mark_closed(session: Session, release: Release, *, at: datetime, by: str) -> None:
    closure_act(session)
    release.closed_at, release.closed_by = at, by


def mark_reopened(session: Session, release: Release) -> None:
    closure_act(session)
    release.closed_at, release.closed_by = None, None


def refusal(release: Release | Any, what: str) -> ReleaseClosed:
    when = release.closed_at.strftime("%Y-%m-%d %H:%M UTC") if release.closed_at else "?"
    return ReleaseClosed(
        f"release {release.slug} is closed (closure approved by {release.closed_by} on {when}) and is "
        f"read-only: {what} refused. Only the Sponsor can reopen it: "
        f"`vigil release reopen {release.slug} --reason \"...\" --as NAME`")


def ensure_open(session: Session, release_id: int | None, what: str) -> None:
    """Raise ``ReleaseClosed`` if the release is closed (``what``: the refused act, for the message)."""
    if release_id is None:
        return
    row = session.connection().execute(
        select(Release.slug, Release.closed_at, Release.closed_by).where(Release.id == release_id)).first()
    if row is not None and row.closed_at is not None:
        raise refusal(row, what)


@event.listens_for(Session, "before_flush")
def _refuse_writes_to_closed_releases(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    if session.info.get(_CLOSURE_ACT):
        return
    # Kept for the session, which is one transaction: a parent row's release never changes, and a release
    # found open stays open until the transaction ends (only closure_act, which skips the check, closes it).
    parents: dict[tuple[str, Any], int | None] = session.info.setdefault(_PARENTS, {})
    known_open: set[int] = session.info.setdefault(_KNOWN_OPEN, set())
    touched: dict[int, str] = {}
    for obj, verb in _writes(session):
        release_id = release_of(session, obj, parents)
        if release_id is not None and release_id not in known_open:
            touched.setdefault(release_id, f"{verb} {_noun(obj)}")
    if not touched:
        return
    closed = session.connection().execute(
        select(Release.id, Release.slug, Release.closed_at, Release.closed_by)
        .where(Release.id.in_(touched), Release.closed_at.is_not(None)).order_by(Release.id)).first()
    if closed is not None:
        raise refusal(closed, touched[closed.id])
    known_open.update(touched)


def _writes(session: Session) -> Iterable[tuple[Any, str]]:
    for obj, verb in chain(((o, "adding") for o in session.new),
                           ((o, "changing") for o in session.dirty),
                           ((o, "deleting") for o in session.deleted)):
        table = obj.__table__.name
        if table in ALWAYS_WRITABLE:
            continue
        if verb == "changing":
            changed = _changed_columns(obj)
            if not changed:  # touched but not modified: nothing will be written
                continue
            if table in UPDATABLE:
                allowed = UPDATABLE[table]
                if allowed is None or changed <= allowed:
                    continue
        yield obj, verb


def _changed_columns(obj: Any) -> set[str]:
    """The columns a flush would write (a parent whose only change is a new child is not changed: the
    child is checked on its own)."""
    state = inspect(obj)
    return {prop.key for prop in state.mapper.column_attrs if state.attrs[prop.key].history.has_changes()}


def release_of(session: Session, obj: Any, cache: dict[tuple[str, Any], int | None] | None = None) -> int | None:
    """The release a mapped object belongs to, directly or through the parent it points at; None for
    records of no release (people, plans, log lines, an incident opened outside any release)."""
    cache = {} if cache is None else cache
    table = obj.__table__
    if table.name == "releases":
        return getattr(obj, "id", None)
    if "release_id" in table.c:
        found = getattr(obj, "release_id", None)
        return found if found is not None else _via_relationship(session, obj, "releases", cache)
    for fk in table.foreign_keys:
        parent = fk.column.table
        if "release_id" not in parent.c:
            continue
        key = inspect(obj).mapper.get_property_by_column(fk.parent).key
        value = getattr(obj, key, None)
        if value is not None:
            if (parent.name, value) not in cache:
                cache[(parent.name, value)] = session.connection().execute(
                    select(parent.c.release_id).where(fk.column == value)).scalar()
            return cache[(parent.name, value)]
        found = _via_relationship(session, obj, parent.name, cache)
        if found is not None:
            return found
    return None


def _via_relationship(session: Session, obj: Any, target: str,
                      cache: dict[tuple[str, Any], int | None]) -> int | None:
    """A new object linked through a relationship before its foreign key is filled in."""
    state = inspect(obj)
    for rel in state.mapper.relationships:
        if rel.direction is MANYTOONE and rel.target.name == target and rel.key in state.dict:
            related = state.dict[rel.key]
            if related is not None:
                return release_of(session, related, cache)
    return None


def _noun(obj: Any) -> str:
    """``action_items`` → "an action item", the words of the refusal."""
    noun = obj.__table__.name.removesuffix("s").replace("_", " ")
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
