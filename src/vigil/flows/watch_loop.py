"""The watch loop: find what is due, evaluate it, act, sleep until the next thing is due.

Nothing is remembered in memory between iterations: what is due is recomputed from the store each time,
so a watcher that is killed and restarted simply carries on, evaluating any checkpoint that fell due
while it was down (its real due time is kept) and never one twice.

One bad release never stops the others: whatever goes wrong while one release is handled is recorded
in its audit trail ("watch.failed") and the loop goes on with the rest, retrying that release later. A
watcher gives a release up for the rest of its run after ``MAX_FAILURES`` failures in a row (a restart
tries again), so a run that is meant to finish does finish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from vigil.clock import Clock
from vigil.releases.models import Release
from vigil.releases.service import SYSTEM_ACTOR, get_release, list_releases
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.store.claims import release_claim
from vigil.watch.evaluate import Outcome
from vigil.watch.schedule import ACTIVE

IDLE_POLL = timedelta(seconds=30)  # with nothing active: how soon to look for new releases (at first)
IDLE_POLL_MAX = timedelta(minutes=10)  # ... doubling, while there stays nothing to do, up to this
BUSY_RETRY = timedelta(minutes=1)
FAILURE_RETRY = timedelta(minutes=5)
MAX_FAILURES = 3
OnCheckpoint = Callable[[Release, Outcome], None]
OnFailure = Callable[[int, str], None]
_log = logging.getLogger(__name__)


@dataclass
class _Failures:
    """Failures in a row per release in this run, and the releases given up on."""

    in_a_row: dict[int, int] = field(default_factory=dict)
    given_up: set[int] = field(default_factory=set)

    def succeeded(self, release_id: int) -> None:
        self.in_a_row.pop(release_id, None)

    def failed(self, release_id: int) -> bool:
        """Count a failure; true when the release is now given up for this run."""
        self.in_a_row[release_id] = self.in_a_row.get(release_id, 0) + 1
        if self.in_a_row[release_id] >= MAX_FAILURES:
            self.given_up.add(release_id)
            return True
        return False


def watch(store: Store, clock: Clock, release_refs: list[str] | None = None, *,
          until_done: bool = True, on_checkpoint: OnCheckpoint | None = None,
          on_failure: OnFailure | None = None) -> None:
    """Watch the named releases (or every active one) until they are finished.

    With ``until_done`` false and no releases named, keep running and pick up new releases as they are
    registered (the long-running service mode). ``on_failure`` hears of each release whose handling
    failed (its id and what went wrong), after the failure is recorded.
    """
    targets = _resolve(store, release_refs)
    failures = _Failures()
    idle = IDLE_POLL
    while True:
        ids = targets if targets is not None else _active_ids(store)
        next_due: datetime | None = None
        for release_id in ids:
            if release_id in failures.given_up:
                continue
            due = _step(store, clock, release_id, on_checkpoint, on_failure, failures)
            if due is not None and (next_due is None or due < next_due):
                next_due = due
        if next_due is None and (until_done or targets is not None):
            return
        if next_due is not None:
            idle = IDLE_POLL
            clock.sleep_until(max(next_due, clock.now()))
        else:  # nothing due anywhere: look for new releases, less and less often
            clock.sleep_until(clock.now() + idle * _speed(clock))
            idle = min(idle * 2, IDLE_POLL_MAX)


def _speed(clock: Clock) -> float:
    """How much faster than the wall clock ``clock`` runs: new releases are registered by people, in wall
    time, so looking for them is paced in wall time (a sped-up idle watcher must not spin)."""
    return float(getattr(clock, "speed", 1.0))


def _step(store: Store, clock: Clock, release_id: int, on_checkpoint: OnCheckpoint | None,
          on_failure: OnFailure | None, failures: _Failures) -> datetime | None:
    """Do everything due for one release now; return when it next needs attention (None: finished or
    given up)."""
    with release_claim(store, release_id) as held:
        if not held:  # another worker is on it right now; look again shortly
            return clock.now() + BUSY_RETRY
        try:
            due = _step_claimed(store, clock, release_id, on_checkpoint)
        except Exception as exc:  # one bad release must never stop the others
            gave_up = failures.failed(release_id)
            problem = f"{type(exc).__name__}: {exc}"
            _record_failure(store, release_id, clock.now(), problem, gave_up)
            if on_failure is not None:
                on_failure(release_id, problem)
            return None if gave_up else clock.now() + FAILURE_RETRY
        failures.succeeded(release_id)
        return due


def _record_failure(store: Store, release_id: int, now: datetime, problem: str, gave_up: bool) -> None:
    """Put the failure in the release's audit trail; if even that fails (the store is down), log it."""
    _log.error("watching release %s failed: %s", release_id, problem, exc_info=True)
    try:
        with store.write() as session:
            audit(session, at=now, actor=SYSTEM_ACTOR, action="watch.failed", entity="release",
                  entity_id=release_id, release_id=release_id,
                  payload={"error": problem[:2000], "given_up_for_this_run": gave_up})
    except Exception:  # the loop goes on; the log line above says what happened
        _log.exception("could not record the failure of release %s", release_id)


def _step_claimed(store: Store, clock: Clock, release_id: int,
                  on_checkpoint: OnCheckpoint | None) -> datetime | None:
    # The round crosses domains (evaluate, act, smoke, alert, notify): it lives in the flows, which import
    # this package; importing it here, at call time, is the loop handing each release to its round.
    from vigil.flows.checkpoint_round import release_round

    return release_round(store, clock, release_id, on_checkpoint)


def _resolve(store: Store, refs: list[str] | None) -> list[int] | None:
    if not refs:
        return None
    with store.read() as session:
        return [get_release(session, ref).id for ref in refs]


def _active_ids(store: Store) -> list[int]:
    with store.read() as session:
        return [r.id for r in list_releases(session) if r.status in ACTIVE]
