"""Where an accelerated (simulated) clock starts when a watcher starts or restarts.

Only recorded or simulated metrics can be watched on such a clock: a live source (Prometheus) has no
samples ahead of the wall clock, so a sped-up or jumping clock would judge windows that have not happened.

Real time needs no such thing. A sped-up clock has no wall time to follow, so it resumes from the latest
moment already recorded for the releases: never earlier (restarting at the earliest pending checkpoint
would move time backwards past what is stored, and record a checkpoint due while the watcher was down
as evaluated on time). A checkpoint that fell due before that moment is then evaluated late, with its
real due time and its actual evaluation time both kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from vigil.errors import UsageError, VigilError
from vigil.releases.models import Release
from vigil.releases.service import get_release, list_releases, plan_of
from vigil.store import Store
from vigil.watch.models import Checkpoint, RollbackEvent
from vigil.watch.schedule import ACTIVE


def chosen_releases(store: Store, refs: list[str] | None) -> list[Release]:
    """The named releases, or every active one."""
    with store.read() as session:
        chosen = ([get_release(session, r) for r in refs] if refs
                  else [r for r in list_releases(session) if r.status in ACTIVE])
    if not chosen:
        raise VigilError("no active release to watch")
    return chosen


def simulated_origin(releases: list[Release]) -> datetime:
    """T+0 of the earliest release: where a clock anchored to a wall-clock moment starts."""
    return min(r.started_at for r in releases)


def resume_point(store: Store, releases: list[Release]) -> datetime:
    """The latest moment recorded for ``releases``, or the earliest T+0 when nothing is recorded yet."""
    ids = [r.id for r in releases]
    with store.read() as session:
        moments = [
            session.scalar(select(func.max(Checkpoint.evaluated_at)).where(Checkpoint.release_id.in_(ids))),
            session.scalar(select(func.max(RollbackEvent.decided_at)).where(RollbackEvent.release_id.in_(ids))),
            session.scalar(select(func.max(RollbackEvent.started_at)).where(RollbackEvent.release_id.in_(ids))),
            session.scalar(select(func.max(RollbackEvent.completed_at))
                           .where(RollbackEvent.release_id.in_(ids))),
        ]
    recorded = [m for m in moments if m is not None]
    return max([simulated_origin(releases), *recorded])


LIVE_SOURCES = frozenset({"prometheus"})


def refuse_live_sources(releases: list[Release], option: str) -> None:
    """Refuse a clock that runs ahead of the wall clock (``option``) for releases read from a live source."""
    live = sorted({f"{r.slug} (source '{s.name}', {s.kind})" for r in releases
                   for s in plan_of(r).all_sources() if s.kind in LIVE_SOURCES})
    if live:
        raise UsageError(f"{option} runs the clock ahead of real time, which only the simulator and recorded "
                         f"data (file sources, vigil replay) can follow; these read live metrics: "
                         f"{', '.join(live)}. Watch them without {option}.")
