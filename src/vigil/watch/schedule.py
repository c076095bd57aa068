"""What is still to be evaluated: the plan's checkpoints not yet stored (read by the watch and by `status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from vigil.plan import format_offset
from vigil.releases.service import get_release, plan_of
from vigil.store import Store
from vigil.watch.models import Checkpoint

ACTIVE = ("watching", "rolling_back")  # the release states the watch works on


@dataclass(frozen=True)
class Pending:
    release_id: int
    name: str
    due_at: datetime


def pending_checkpoints(store: Store, release_id: int) -> list[Pending]:
    """Checkpoints of the plan not yet stored, in order of their due time."""
    with store.read() as session:
        release = get_release(session, release_id)
        plan = plan_of(release)
        done = set(session.scalars(select(Checkpoint.name).where(Checkpoint.release_id == release_id)))
    return [Pending(release_id, format_offset(o), release.started_at + o)
            for o in plan.checkpoints if format_offset(o) not in done]
