"""The watch loop: find what is due, evaluate it, act, sleep until the next thing is due.

Nothing is remembered in memory between iterations: what is due is recomputed from the store each time,
so a watcher that is killed and restarted simply carries on, evaluating any checkpoint that fell due
while it was down (its real due time is kept) and never one twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from vigil.clock import Clock
from vigil.releases.models import Release
from vigil.releases.service import SYSTEM_ACTOR, get_release, list_releases
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.store.claims import release_claim
from vigil.watch.evaluate import Outcome, evaluate_checkpoint
from vigil.watch.rollback import (
    execute_rollback,
    mark_interrupted,
    pending_rollback,
    pending_verification,
    verify_rollback,
)
from vigil.watch.schedule import pending_checkpoints

ACTIVE = ("watching", "rolling_back")
IDLE_POLL = timedelta(seconds=30)
BUSY_RETRY = timedelta(minutes=1)


def watch(store: Store, clock: Clock, release_refs: list[str] | None = None, *,
          until_done: bool = True, on_checkpoint: Callable[[Release, Outcome], None] | None = None) -> None:
    """Watch the named releases (or every active one) until they are finished.

    With ``until_done`` false and no releases named, keep running and pick up new releases as they are
    registered (the long-running service mode).
    """
    targets = _resolve(store, release_refs)
    # A rollback a dead worker left "started" is flagged, whether releases were named or not.
    for release_id in targets if targets is not None else _active_ids(store):
        mark_interrupted(store, release_id, clock.now())
    while True:
        ids = targets if targets is not None else _active_ids(store)
        next_due: datetime | None = None
        for release_id in ids:
            due = _step(store, clock, release_id, on_checkpoint)
            if due is not None and (next_due is None or due < next_due):
                next_due = due
        if next_due is None and (until_done or targets is not None):
            return
        clock.sleep_until(next_due if next_due is not None else clock.now() + IDLE_POLL)


def _step(store: Store, clock: Clock, release_id: int,
          on_checkpoint: Callable[[Release, Outcome], None] | None) -> datetime | None:
    """Do everything due for one release now; return when it next needs attention (None: finished)."""
    with release_claim(store, release_id) as held:
        if not held:  # another worker is on it right now; look again shortly
            return clock.now() + BUSY_RETRY
        return _step_claimed(store, clock, release_id, on_checkpoint)


def _step_claimed(store: Store, clock: Clock, release_id: int,
                  on_checkpoint: Callable[[Release, Outcome], None] | None) -> datetime | None:
    event_id = pending_rollback(store, release_id)
    if event_id is not None:
        execute_rollback(store, event_id, clock)
    unverified = pending_verification(store, release_id)
    if unverified is not None:  # the worker that ran it died before verifying
        verify_rollback(store, unverified, clock)
    next_due: datetime | None = None
    for item in pending_checkpoints(store, release_id):
        if item.due_at > clock.now():
            next_due = item.due_at
            break
        outcome = evaluate_checkpoint(store, release_id, item.name, clock.now())
        if on_checkpoint is not None:
            with store.read() as session:
                on_checkpoint(get_release(session, release_id), outcome)
        event_id = pending_rollback(store, release_id)
        if event_id is not None:
            execute_rollback(store, event_id, clock)
    # Alert rules run continuously, not only at checkpoints; communications go out on schedule.
    from vigil.alerts.hook import alerting_tick  # here: vigil.alerts itself reads watch models

    wake = alerting_tick(store, release_id, clock)
    if next_due is None:
        _finish(store, release_id, clock.now())
        return None
    return min(next_due, wake) if wake is not None else next_due


def _finish(store: Store, release_id: int, now: datetime) -> None:
    with store.write() as session:
        release = session.get(Release, release_id)
        if release is None or release.status != "watching":
            return
        release.status = "completed"
        audit(session, at=now, actor=SYSTEM_ACTOR, action="release.completed", entity="release",
              entity_id=release_id, release_id=release_id, payload={})


def _resolve(store: Store, refs: list[str] | None) -> list[int] | None:
    if not refs:
        return None
    with store.read() as session:
        return [get_release(session, ref).id for ref in refs]


def _active_ids(store: Store) -> list[int]:
    with store.read() as session:
        return [r.id for r in list_releases(session) if r.status in ACTIVE]
