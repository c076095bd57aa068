"""No checkpoint is evaluated before it is due, from any entry point, and no chart shows the future.

The rule is tested over generated schedules and (checkpoint, now) pairs: an early request is refused with
the due time named, stores nothing and audits nothing; a due one is stored with a window that ends at its
due time, never after ``now``.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from plan_text import plan_header
from vigil.access.service import create_token
from vigil.clock import ManualClock
from vigil.errors import NotDue
from vigil.plan import format_offset, parse_plan
from vigil.releases.service import create_release, get_release, plan_of
from vigil.store import Store
from vigil.store.audit import AuditEntry
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import Checkpoint
from vigil.web.app import create_app
from vigil.web.charts import chart_window

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_SERIAL = itertools.count()  # hypothesis replays examples: each one registers a release of its own
offsets = st.lists(st.integers(min_value=0, max_value=24 * 60), min_size=1, max_size=5, unique=True).map(sorted)
# How far from the due time the request comes: up to a day early, or up to an hour late.
lateness = st.integers(min_value=-24 * 3600, max_value=3600).map(lambda s: timedelta(seconds=s))


def _plan_text(minutes: list[int]) -> str:
    schedule = ", ".join(format_offset(timedelta(minutes=m)) for m in minutes)
    return plan_header(T0) + f"""metrics:
  - {{name: error_rate}}
  - {{name: p99_latency}}
checkpoints: [{schedule}]
"""


def _register(store: Store, minutes: list[int], slug: str) -> str:
    text = _plan_text(minutes)
    return create_release(store, parse_plan(text), text, "plan.yaml", now=T0, slug=f"{slug}-{next(_SERIAL)}").slug


def _counts(store: Store) -> tuple[int, int]:
    with store.read() as session:
        return (session.scalar(select(func.count()).select_from(Checkpoint)) or 0,
                session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@pytest.fixture
def shared_store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'v.db'}")


@SLOW
@given(minutes=offsets, pick=st.integers(min_value=0, max_value=4), late=lateness)
def test_a_checkpoint_is_evaluated_only_once_it_is_due(shared_store: Store, minutes: list[int], pick: int,
                                                        late: timedelta) -> None:
    slug = _register(shared_store, minutes, "r")
    offset = timedelta(minutes=minutes[pick % len(minutes)])
    due, now = T0 + offset, T0 + offset + late
    name = format_offset(offset)
    before = _counts(shared_store)
    if now < due:
        with pytest.raises(NotDue) as refused:
            evaluate_checkpoint(shared_store, slug, name, now)
        assert due.isoformat() in str(refused.value) and name in str(refused.value)
        assert _counts(shared_store) == before  # nothing stored, nothing audited
        return
    outcome = evaluate_checkpoint(shared_store, slug, name, now)
    assert outcome.created
    with shared_store.read() as session:
        stored = session.get(Checkpoint, outcome.checkpoint_id)
        assert stored is not None
        assert stored.window_end == due and stored.window_end <= now and stored.evaluated_at == now


def _api(store: Store, clock: ManualClock) -> tuple[TestClient, dict[str, str]]:
    _, token = create_token(store, "B", T0)  # B is the plan's Monitoring Owner
    return TestClient(create_app(store, clock=clock)), {"Authorization": f"Bearer {token}"}


@SLOW
@given(minutes=offsets, pick=st.integers(min_value=0, max_value=4), late=lateness)
def test_the_api_refuses_an_early_evaluation_with_a_conflict_naming_the_due_time(
        shared_store: Store, minutes: list[int], pick: int, late: timedelta) -> None:
    slug = _register(shared_store, minutes, "r")
    offset = timedelta(minutes=minutes[pick % len(minutes)])
    clock = ManualClock(T0 + offset + late)
    client, auth = _api(shared_store, clock)
    with client:
        response = client.post(f"/api/v1/releases/{slug}/checkpoints/{format_offset(offset)}/evaluate",
                               headers=auth)
    if late < timedelta(0):
        assert response.status_code == 409
        assert (T0 + offset).isoformat() in response.json()["detail"]
        with shared_store.read() as session:
            release_id = get_release(session, slug).id
            stored = session.scalar(select(func.count()).where(Checkpoint.release_id == release_id))
        assert stored == 0
    else:
        assert response.status_code == 201 and response.json()["created"] is True


def test_the_reported_case_t24h_at_t55m_is_refused_and_later_evaluated(shared_store: Store) -> None:
    """The Monitoring Owner's T+24h at T+55m: refused, and it is still evaluated when it falls due."""
    slug = _register(shared_store, [0, 15, 60, 24 * 60], "reported")
    with pytest.raises(NotDue, match="T\\+24h is not due until 2026-11-25T09:00:00\\+00:00"):
        evaluate_checkpoint(shared_store, slug, "T+24h", T0 + timedelta(minutes=55))
    outcome = evaluate_checkpoint(shared_store, slug, "T+24h", T0 + timedelta(hours=24))
    assert outcome.created and outcome.health is not None


@SLOW
@given(minutes=offsets, now_after=st.integers(min_value=-3600, max_value=30 * 3600))
def test_the_chart_window_never_reaches_past_now(shared_store: Store, minutes: list[int], now_after: int) -> None:
    slug = _register(shared_store, minutes, "r")
    now = T0 + timedelta(seconds=now_after)
    with shared_store.read() as session:
        release = get_release(session, slug)
        _, end = chart_window(release, plan_of(release), now)
        assert end <= max(now, release.started_at)
        assert end <= release.started_at + timedelta(minutes=minutes[-1])
