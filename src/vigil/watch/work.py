"""Queue, claim and finish durable work (see ``vigil.watch.work_models``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session

from vigil.store import Store
from vigil.watch.work_models import DueWork, WorkKind, WorkState

# How long a claim stands without its result: past it the worker is taken for dead and the work is
# claimed again. Longer than any smoke run (its checks' timeouts) or verification read.
LEASE = timedelta(minutes=10)


class LostClaim(Exception):
    """The lease ran out and another worker claimed the work: its result, not ours, is recorded."""


@dataclass(frozen=True)
class Claimed:
    id: int
    release_id: int
    kind: WorkKind
    key: str
    due_at: datetime
    token: str


def queue_work(session: Session, release_id: int, kind: WorkKind, key: str, due_at: datetime) -> None:
    """Record work due at ``due_at`` in the caller's transaction (once: a second queueing is a no-op)."""
    exists = session.scalar(select(DueWork.id).where(DueWork.release_id == release_id, DueWork.kind == kind,
                                                     DueWork.key == key))
    if exists is None:
        session.add(DueWork(release_id=release_id, kind=kind, key=key, due_at=due_at, state=WorkState.PENDING,
                            claims=0, result=""))
        session.flush()


def _claimable(now: datetime) -> Any:
    return or_(and_(DueWork.state == WorkState.PENDING, DueWork.due_at <= now),
               and_(DueWork.state == WorkState.CLAIMED, DueWork.lease_until <= now))


def claim_due(store: Store, release_id: int, now: datetime) -> list[Claimed]:
    """Claim every piece of this release's work that is due (or whose lease ran out), each for one worker."""
    with store.read() as session:
        rows = list(session.scalars(select(DueWork).where(DueWork.release_id == release_id, _claimable(now))
                                    .order_by(DueWork.due_at, DueWork.id)))
        candidates = [(r.id, r.kind, r.key, r.due_at) for r in rows]
    claimed: list[Claimed] = []
    for work_id, kind, key, due_at in candidates:
        token = secrets.token_hex(16)
        with store.write() as session:
            result = session.execute(
                update(DueWork).where(DueWork.id == work_id, _claimable(now))
                .values(state=WorkState.CLAIMED, lease_until=now + LEASE, token=token,
                        claims=DueWork.claims + 1))
        if cast(CursorResult[Any], result).rowcount:
            claimed.append(Claimed(work_id, release_id, WorkKind(kind), key, due_at, token))
    return claimed


def finish(session: Session, work: Claimed, now: datetime, result: str) -> None:
    """Mark the work done in the transaction that records its result; raise ``LostClaim`` (rolling the
    result back with it) when the claim no longer stands."""
    done = session.execute(
        update(DueWork).where(DueWork.id == work.id, DueWork.token == work.token,
                              DueWork.state == WorkState.CLAIMED)
        .values(state=WorkState.DONE, done_at=now, lease_until=None, result=result[:2000]))
    if not cast(CursorResult[Any], done).rowcount:
        raise LostClaim(f"{work.kind} {work.key}: the claim was taken over")


def finish_alone(store: Store, work: Claimed, now: datetime, result: str) -> None:
    with store.write() as session:
        finish(session, work, now, result)


def next_due(store: Store, release_id: int) -> datetime | None:
    """When this release's outstanding work next needs a worker: its due time, or its lease's end."""
    with store.read() as session:
        pending = session.scalar(select(func.min(DueWork.due_at)).where(
            DueWork.release_id == release_id, DueWork.state == WorkState.PENDING))
        leased = session.scalar(select(func.min(DueWork.lease_until)).where(
            DueWork.release_id == release_id, DueWork.state == WorkState.CLAIMED))
    times = [t for t in (pending, leased) if t is not None]
    return min(times) if times else None


def outstanding(store: Store, release_id: int) -> bool:
    with store.read() as session:
        return session.scalar(select(DueWork.id).where(DueWork.release_id == release_id,
                                                       DueWork.state != WorkState.DONE).limit(1)) is not None
