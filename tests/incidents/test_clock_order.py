"""The incident clock orders only the steps that really are ordered (seen: an automatic rollback's real
mitigation time was refused because it came before a person's acknowledgement).

The rule is stated here independently of the code, as what each step means, and checked over generated
clocks: the service accepts a clock exactly when it breaks none of these, whatever the step order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance_fixtures import _watched_template, watched  # noqa: F401  (fixtures)
from vigil.errors import Conflict
from vigil.incidents.clock import check_order, order_violations
from vigil.incidents.models import CLOCK, Incident
from vigil.incidents.service import acknowledge, edit_clock, get_incident, open_incident
from vigil.releases.models import Release
from vigil.store import Store

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

# What must precede what, from what the steps mean (not read from the code).
MUST_PRECEDE = {
    "impact_started_at": {"detected_at"},
    "detected_at": {"acknowledged_at", "investigating_at", "mitigated_at", "resolved_at", "closed_at"},
    "mitigated_at": {"resolved_at", "closed_at"},
    "investigating_at": {"resolved_at", "closed_at"},
    "acknowledged_at": {"closed_at"},
    "resolved_at": {"closed_at"},
}
# Pairs that may come in either order: the ones users hit (rollback before ack, alert cleared before ack).
UNORDERED = [("acknowledged_at", "mitigated_at"), ("acknowledged_at", "resolved_at"),
             ("acknowledged_at", "investigating_at"), ("investigating_at", "mitigated_at")]


def in_order(clock: dict[str, datetime | None]) -> bool:
    # Transitively: a step's successors' successors are after it too (detected ≤ mitigated ≤ resolved).
    def after(step: str) -> set[str]:
        out, todo = set(), list(MUST_PRECEDE.get(step, ()))
        while todo:
            nxt = todo.pop()
            if nxt not in out:
                out.add(nxt)
                todo += MUST_PRECEDE.get(nxt, ())
        return out

    return all(clock[later] >= clock[step]  # type: ignore[operator]
               for step in CLOCK if clock[step] is not None
               for later in after(step) if clock[later] is not None)


minutes = st.one_of(st.none(), st.integers(min_value=0, max_value=120))
clocks = st.fixed_dictionaries({name: minutes for name in CLOCK}).map(
    lambda d: {k: (T0 + timedelta(minutes=v) if v is not None else None) for k, v in d.items()})


@given(clocks)
@settings(max_examples=400)
def test_a_clock_is_accepted_exactly_when_it_breaks_no_real_order(clock: dict[str, datetime | None]) -> None:
    assert (order_violations(clock) == []) == in_order(clock)


@pytest.mark.parametrize(("first", "second"), UNORDERED + [(b, a) for a, b in UNORDERED])
def test_unordered_steps_may_come_in_either_order(first: str, second: str) -> None:
    clock: dict[str, datetime | None] = dict.fromkeys(CLOCK)
    clock |= {"detected_at": T0, first: T0 + timedelta(minutes=5), second: T0 + timedelta(minutes=9)}
    check_order(clock)


@given(st.lists(st.sampled_from(["acknowledged", "investigating", "mitigated", "resolved"]),
                min_size=1, max_size=4, unique=True),
       st.lists(st.integers(min_value=-30, max_value=60), min_size=4, max_size=4))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_service_accepts_every_real_time_and_refuses_only_broken_orders(
    store: Store, make_release: Callable[..., Release], steps: list[str], offsets: list[int]
) -> None:
    """Entering the steps' real times one by one through ``edit_clock``: each edit is refused exactly when
    the clock it would make is out of order, and a refused edit changes nothing."""
    with store.read() as s:
        release = s.get(Release, 1)
    release = release or make_release()
    with store.write() as s:
        ticket = open_incident(s, release_id=release.id, title="t", severity="low", actor="a", now=T0).ticket
    for step, offset in zip(steps, offsets, strict=False):
        value = T0 + timedelta(minutes=offset)
        with store.read() as s:
            before = {n: getattr(get_incident(s, ticket), n) for n in CLOCK}
        wanted = before | {f"{step}_at": value}
        with store.write() as s:
            if in_order(wanted):
                edit_clock(s, ticket, step, value, actor="a", now=T0 + timedelta(hours=2), reason="real time")
            else:
                with pytest.raises(Conflict, match="cannot be before"):
                    edit_clock(s, ticket, step, value, actor="a", now=T0 + timedelta(hours=2), reason="x")
        with store.read() as s:
            after = {n: getattr(get_incident(s, ticket), n) for n in CLOCK}
        assert after == (wanted if in_order(wanted) else before)


def test_an_automatic_rollback_mitigates_before_the_acknowledgement(
    store: Store, make_release: Callable[..., Release]
) -> None:
    """The case seen: detected 10:00, rollback done 10:03, a person acknowledges at 10:07 — all true times."""
    release = make_release()
    with store.write() as s:
        ticket = open_incident(s, release_id=release.id, title="Leak", severity="high", actor="vigil", now=T0).ticket
        edit_clock(s, ticket, "mitigated", T0 + timedelta(minutes=3), actor="vigil", now=T0 + timedelta(minutes=3),
                   reason="automatic rollback completed")
        acknowledge(s, ticket, actor="Ravi Menon", now=T0 + timedelta(minutes=7))
    with store.read() as s:
        incident = get_incident(s, ticket)
        assert incident.mitigated_at == T0 + timedelta(minutes=3)
        assert incident.acknowledged_at == T0 + timedelta(minutes=7)


def test_a_verified_automatic_rollback_is_recorded_as_the_mitigation_at_its_real_time(watched) -> None:  # noqa: F811
    """The leaky example rolls back on its own; the incident's "mitigated" is the rollback's completion,
    and a person acknowledging afterwards is accepted with the true, later time."""
    from sqlalchemy import select

    from vigil.store.audit import AuditEntry
    from vigil.watch.models import RollbackEvent

    with watched.store.read() as s:
        event = s.scalar(select(RollbackEvent))
        incident = s.scalar(select(Incident))
        assert event is not None and event.verified and incident is not None
        assert incident.mitigated_at == event.completed_at and incident.acknowledged_at is None
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "incident.mitigated")) is not None
        ticket = incident.ticket
    with watched.store.write() as s:
        acknowledge(s, ticket, actor="Ravi Menon", now=watched.end)
    with watched.store.read() as s:
        incident = get_incident(s, ticket)
        assert incident.mitigated_at is not None and incident.acknowledged_at is not None
        assert incident.mitigated_at < incident.acknowledged_at
