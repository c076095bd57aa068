"""Rules run inside the watch loop, continuously, and catch the simulated leak."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerting_fixtures import BASE_PLAN
from vigil.alerts.evaluation import evaluate_rules
from vigil.alerts.models import Alert, Communication
from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.incidents.models import Incident
from vigil.metrics.simulator import STEP_SECONDS
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.store import Store

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # T+0 of the plan the conftest registers

LEAK_RULE = """
alerting:
  rules:
    - name: memory-leak
      metric: memory_usage
      condition: relative
      value: 10
      for: 10m
      severity: critical
      no_data: ok
"""


def _alerts(store: Store) -> list[tuple[str, object, object]]:
    with store.read() as s:
        return [(a.rule, a.started_at, a.resolved_at) for a in s.scalars(select(Alert).order_by(Alert.id))]


def test_the_leak_fires_between_checkpoints_and_opens_an_incident(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release(LEAK_RULE)
    watch(store, ManualClock(T0), [release.slug])
    with store.read() as s:
        alert = s.scalars(select(Alert)).one()
        incident = s.scalars(select(Incident)).one()
        steps = list(s.scalars(select(Communication.step).order_by(Communication.due_at)))
        events = [e.text for e in incident.events]
    # Fires strictly between the T+1h and T+2h checkpoints, at a sample time, after 10 min above +10 %.
    assert T0 + timedelta(hours=1) < alert.started_at < T0 + timedelta(hours=2)
    assert alert.started_at.timestamp() % STEP_SECONDS == 0
    assert alert.incident_id == incident.id and incident.detected_at == alert.started_at
    # The rollback at T+2h stops the new version's data: the no-data policy "ok" resolves the alert.
    assert alert.resolved_at is not None and alert.resolved_at > T0 + timedelta(hours=2)
    # The plan ends at T+4h: the T+24h final notice goes out when the watch finishes, not never.
    # The rollback at T+2h is announced when it starts and when it ends, between the planned steps.
    assert steps == ["T+0-start", "T+15m-status", "T+1h-business", "rollback-start", "rollback-end",
                     "T+4h-leadership", "T+24h-final"]
    assert any("Rollback (automatic) completed" in e for e in events)


def test_evaluating_every_minute_gives_the_same_alerts_as_one_catch_up(
    tmp_path: object, store: Store, make_release: Callable[..., Release]
) -> None:
    one = make_release(LEAK_RULE, slug="one")
    many = make_release(LEAK_RULE, slug="many")
    end = T0 + timedelta(minutes=100)
    evaluate_rules(store, one.id, end)
    t = T0
    while t < end:
        t += timedelta(minutes=7)
        evaluate_rules(store, many.id, min(t, end))
    with store.read() as s:
        times = {
            r: [a.started_at for a in s.scalars(select(Alert).where(Alert.release_id == r))] for r in (one.id, many.id)
        }
    assert times[one.id] and times[one.id] == times[many.id]


class WallLikeClock:
    """Jumps like a ManualClock but is not one, so the loop treats it as a wall clock and wakes for rules."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self.wakes: list[datetime] = []

    def now(self) -> datetime:
        return self._now

    def sleep_until(self, when: datetime) -> None:
        self.wakes.append(when)
        self._now = max(self._now, when)


def test_on_a_wall_clock_the_loop_wakes_every_evaluation_interval_between_checkpoints(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release(LEAK_RULE.replace("alerting:\n", "alerting:\n  evaluation_interval: 5m\n"))
    clock = WallLikeClock(T0)
    watch(store, clock, [release.slug])
    between = [w for w in clock.wakes if T0 + timedelta(hours=1) < w < T0 + timedelta(hours=2)]
    # Checkpoints are at T+1h and T+2h; the rules still woke the loop every 5 minutes in between.
    assert len(between) >= 11
    assert all(b - a <= timedelta(minutes=5) for a, b in itertools.pairwise(between))
    with store.read() as s:
        fired = s.scalars(select(Alert)).one().started_at
    other = make_release(LEAK_RULE, slug="caught-up")
    watch(store, ManualClock(T0), [other.slug])
    with store.read() as s:
        assert s.scalars(select(Alert).where(Alert.release_id == other.id)).one().started_at == fired


def test_an_anomaly_rule_catches_a_latency_regression_within_minutes(store: Store) -> None:
    text = BASE_PLAN.replace("{kind: memory_leak, start: 0m, magnitude: 5.5}",
                             "{kind: latency_regression, start: 90m, magnitude: 0.3}") + """
alerting:
  rules:
    - {name: p99-anomaly, metric: p99_latency, condition: anomaly, value: 0.999, window: 2h}
"""
    release = create_release(store, parse_plan(text), text, "plan.yaml", now=T0)
    watch(store, ManualClock(T0), [release.slug])
    fired = [started for rule, started, _ in _alerts(store) if rule == "p99-anomaly"]
    # Nothing in the 90 healthy minutes; the first alert within minutes of the 30 % regression.
    assert fired and all(t >= T0 + timedelta(minutes=90) for t in fired)  # type: ignore[operator]
    assert fired[0] <= T0 + timedelta(minutes=95)  # type: ignore[operator]
