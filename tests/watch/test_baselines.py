"""The plan's baseline modes, read through file sources: which samples each one compares against."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from plan_text import plan_header
from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.plan import parse_plan
from vigil.releases.service import create_release, get_release
from vigil.store import Store
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import Checkpoint, MetricReading
from vigil.watch.resume import resume_point

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
Rows = list[tuple[datetime, float, str]]


def _plan(data: Path, baseline: str, date: datetime = T0, version: str = "2") -> str:
    return plan_header(date, "big-bang", version) + f"""source: {{kind: file, path: "{data}"}}
metrics: [{{name: p99_latency}}]
checkpoints: [T+0, T+15m]
evaluation_window: 5m
baseline: {baseline}
"""


def _write(data: Path, rows: Rows) -> None:
    data.mkdir(exist_ok=True)
    lines = ["timestamp,value,cohort"] + [f"{t.isoformat()},{v},{c}" for t, v, c in rows]
    (data / "p99_latency.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _minutes(start: datetime, first: int, last: int, value: float, cohort: str = "") -> Rows:
    return [(start + timedelta(minutes=m), value, cohort) for m in range(first, last + 1)]


def _reading_at_15m(store: Store, text: str) -> MetricReading:
    plan = parse_plan(text)
    release = create_release(store, plan, text, "plan.yaml", now=plan.release.date)
    evaluate_checkpoint(store, release.slug, "T+15m", plan.release.date + timedelta(minutes=15))
    with store.read() as s:
        checkpoint = s.scalars(select(Checkpoint).where(Checkpoint.release_id == release.id)).one()
        return checkpoint.readings[0]


def test_pre_deploy_compares_with_the_hour_before_t0(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write(data, _minutes(T0, -60, 0, 100.0) + _minutes(T0, 1, 20, 130.0))
    reading = _reading_at_15m(Store(f"sqlite:///{tmp_path / 'v.db'}"), _plan(data, "pre_deploy"))
    assert (reading.current, reading.baseline, reading.status) == (130.0, 100.0, "warning")


def test_week_ago_compares_with_the_same_window_seven_days_earlier(tmp_path: Path) -> None:
    data = tmp_path / "data"
    week_ago = T0 - timedelta(days=7)
    _write(data, _minutes(week_ago, 10, 15, 125.0) + _minutes(T0, -60, 0, 60.0) + _minutes(T0, 1, 20, 130.0))
    reading = _reading_at_15m(Store(f"sqlite:///{tmp_path / 'v.db'}"), _plan(data, "week_ago"))
    assert (reading.current, reading.baseline, reading.status) == (130.0, 125.0, "ok")


def test_previous_release_compares_with_its_new_version_at_the_same_checkpoint(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    earlier = T0 - timedelta(days=3)
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, _minutes(earlier, -60, 30, 90.0, "baseline") + _minutes(earlier, 1, 30, 111.0, "new"))
    _write(new, _minutes(T0, -60, 30, 50.0, "baseline") + _minutes(T0, 1, 30, 130.0, "new"))

    first_text = _plan(old, "concurrent", earlier, version="1")
    first = create_release(store, parse_plan(first_text), first_text, "old.yaml", now=earlier)
    watch(store, ManualClock(earlier), [first.slug])  # completes, so it can serve as the baseline
    reading = _reading_at_15m(store, _plan(new, "previous_release"))
    assert (reading.current, reading.baseline) == (130.0, 111.0)


def test_previous_release_without_one_is_no_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write(data, _minutes(T0, 1, 20, 130.0))
    reading = _reading_at_15m(Store(f"sqlite:///{tmp_path / 'v.db'}"), _plan(data, "previous_release"))
    assert reading.status == "no_data" and "no earlier completed release" in reading.reason


def test_resume_point_is_the_latest_recorded_moment_not_the_earliest_pending(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    data = tmp_path / "data"
    _write(data, _minutes(T0, -60, 60, 100.0))
    text = _plan(data, "pre_deploy")
    release = create_release(store, parse_plan(text), text, "plan.yaml", now=T0)
    with store.read() as s:
        loaded = get_release(s, release.slug)
    assert resume_point(store, [loaded]) == T0  # nothing recorded yet: start at T+0
    late = T0 + timedelta(minutes=40)  # T+0 evaluated late, after T+15m was already due
    evaluate_checkpoint(store, release.slug, "T+0", late)
    assert resume_point(store, [loaded]) == late  # not T+15m's due time, which is earlier
