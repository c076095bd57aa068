"""What the watch loop calls between checkpoints: evaluate rules, send due communications, deliver.

Returns when the loop should wake for alerting next. On the wall clock that is every evaluation
interval; a ``ManualClock`` jumps, and since rules catch up over the whole elapsed series in one pass,
waking it every minute would only cost time, so it is woken for communications only.
"""

from __future__ import annotations

from datetime import datetime

from vigil.alerts.communication import send_due
from vigil.alerts.evaluation import evaluate_rules
from vigil.alerts.notify.outbox import deliver_pending
from vigil.clock import Clock, ManualClock
from vigil.releases.service import get_release, plan_of
from vigil.store import Store


def alerting_tick(store: Store, release_id: int, clock: Clock) -> datetime | None:
    now = clock.now()
    evaluate_rules(store, release_id, now)
    next_comm = send_due(store, release_id, now)
    deliver_pending(store, clock, release_id=release_id)
    with store.read() as session:
        plan = plan_of(get_release(session, release_id))
    wakes = [t for t in (next_comm,) if t is not None]
    if plan.alerting.rules and not isinstance(clock, ManualClock):
        wakes.append(now + plan.alerting.evaluation_interval)
    return min(wakes) if wakes else None
