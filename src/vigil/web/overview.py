"""The releases overview: one row per release with health, next checkpoint, open incidents, go/no-go.

Paged in the database (newest first), and everything per row is fetched for the whole page in two
queries, so the page costs the same with ten releases or ten thousand. The web layer keeps a computed
page per store version (``web.reads``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from vigil.plan import format_offset
from vigil.releases.models import PlanSnapshot, Release
from vigil.store.types import MAX_RECORD_ID
from vigil.watch.models import Checkpoint, Decision
from vigil.watch.schedule import ACTIVE
from vigil.web.incidents import NO_DATA, open_incident_counts
from vigil.web.plans import cached_plan

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# The query parameters that page through releases, bounded so that an offset fits the databases' 64-bit
# OFFSET: a larger one is a 422, not an overflow inside the query.
Offset = Annotated[int, Query(ge=0, le=MAX_RECORD_ID)]
PageNumber = Annotated[int, Query(le=MAX_RECORD_ID // PAGE_SIZE)]  # below 1 reads as 1


@dataclass(frozen=True)
class OverviewRow:
    id: int
    slug: str
    name: str
    service: str
    version: str
    method: str
    status: str
    started_at: datetime
    timezone: str
    health: str  # of the latest evaluated checkpoint; "pending" before the first
    go_no_go: str
    last_checkpoint: str | None
    next_checkpoint: str | None
    next_due: datetime | None
    open_incidents: int | None  # None: incidents are not tracked in this store


@dataclass(frozen=True)
class OverviewPage:
    rows: list[OverviewRow]
    total: int
    limit: int
    offset: int
    status: str | None
    incidents_note: str | None

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total


def overview(session: Session, *, limit: int = PAGE_SIZE, offset: int = 0, status: str | None = None,
             only: frozenset[int] | None = None) -> OverviewPage:
    """One page of the overview, newest release first."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    # The plan text is only needed for a plan not parsed yet (plan_of loads it then), not per row.
    query = select(Release).options(joinedload(Release.plan).load_only(PlanSnapshot.sha256, PlanSnapshot.source_path))
    count = select(func.count(Release.id))
    if only is not None:  # the caller's read scope (vigil.access.reading): the releases they may read
        query, count = query.where(Release.id.in_(only)), count.where(Release.id.in_(only))
    if status == "active":
        query, count = query.where(Release.status.in_(ACTIVE)), count.where(Release.status.in_(ACTIVE))
    elif status:
        query, count = query.where(Release.status == status), count.where(Release.status == status)
    releases = list(
        session.scalars(query.order_by(Release.started_at.desc(), Release.id.desc()).limit(limit).offset(offset))
    )
    total = session.scalar(count) or 0
    ids = [r.id for r in releases]
    stored = _checkpoints(session, ids)
    incidents = open_incident_counts(session, ids)
    rows = [_row(session, r, stored.get(r.id, []), incidents) for r in releases]
    return OverviewPage(rows, total, limit, offset, status, None if incidents is not None else NO_DATA)


def _checkpoints(session: Session, ids: list[int]) -> dict[int, list[tuple[str, int, str, str | None, str | None]]]:
    """(name, offset, state, health, go/no-go) of every stored checkpoint of these releases, in order."""
    if not ids:
        return {}
    query = (
        select(
            Checkpoint.release_id,
            Checkpoint.name,
            Checkpoint.offset_seconds,
            Checkpoint.state,
            Decision.health,
            Decision.go_no_go,
        )
        .outerjoin(Decision, Decision.checkpoint_id == Checkpoint.id)
        .where(Checkpoint.release_id.in_(ids))
        .order_by(Checkpoint.release_id, Checkpoint.offset_seconds)
    )
    out: dict[int, list[tuple[str, int, str, str | None, str | None]]] = {}
    for release_id, name, offset, state, health, go in session.execute(query):
        out.setdefault(release_id, []).append((name, offset, state, health, go))
    return out


def _row(
    session: Session,
    release: Release,
    stored: list[tuple[str, int, str, str | None, str | None]],
    incidents: dict[int, int] | None,
) -> OverviewRow:
    evaluated = [c for c in stored if c[3] is not None]
    latest = evaluated[-1] if evaluated else None
    next_name: str | None = None
    next_due: datetime | None = None
    if release.status in ACTIVE:
        done = {c[0] for c in stored}
        for offset in cached_plan(session, release).checkpoints:
            if format_offset(offset) not in done:
                next_name, next_due = format_offset(offset), release.started_at + offset
                break
    return OverviewRow(
        id=release.id,
        slug=release.slug,
        name=release.name,
        service=release.service,
        version=release.version,
        method=release.deployment_method,
        status=release.status,
        started_at=release.started_at,
        timezone=release.timezone,
        health=(latest[3] or "unknown") if latest else "pending",
        go_no_go=(latest[4] or "") if latest else "",
        last_checkpoint=latest[0] if latest else None,
        next_checkpoint=next_name,
        next_due=next_due,
        open_incidents=incidents.get(release.id, 0) if incidents is not None else None,
    )
