"""The monitoring log has every section of the seed template, in its order, and no blanks left."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from log_checks import check_log_against_store
from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.incidents.service import open_incident
from vigil.plan import parse_plan
from vigil.plan.catalogue import DEFAULT_CHECKPOINTS
from vigil.releases.service import create_release, get_release
from vigil.reports.monitoring_log import render_monitoring_log
from vigil.reports.sections import PER_ITEM, expected_outline
from vigil.store import Store
from vigil.watch import evaluate_checkpoint

TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "seeds" / "000_360a8b22e48904fd.txt"


def template_headings() -> list[str]:
    text = TEMPLATE.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.startswith("#") and not PER_ITEM.match(line)]


def as_pattern(heading: str) -> re.Pattern[str]:
    """The template's heading with its ``[placeholder]`` parts as wildcards."""
    parts = re.split(r"\[[^\]]*\]", heading)
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$")


def test_the_outline_constant_is_the_seed_templates_outline() -> None:
    """LOG_SECTIONS plus the eight template checkpoints is exactly the seed's heading list."""
    expected = [as_pattern(h) for h in template_headings()]
    ours = expected_outline(DEFAULT_CHECKPOINTS)
    assert len(ours) == len(expected)
    for got, want in zip(ours, expected, strict=True):
        assert want.match(got + ": 09:00") or want.match(got), f"{got!r} does not fill {want.pattern!r}"


def assert_follows_template(log: str) -> None:
    ours = [line for line in log.splitlines() if line.startswith("#") and not PER_ITEM.match(line)]
    expected = template_headings()
    assert len(ours) == len(expected), (ours, expected)
    for got, want in zip(ours, expected, strict=True):
        assert as_pattern(want).match(got), f"{got!r} does not fill {want!r}"


def assert_no_blanks(log: str) -> None:
    assert "___" not in log
    leftovers = re.findall(r"\[(?! \]|x\])[^\]\n]+\]", log)
    assert leftovers == [], leftovers


@pytest.mark.parametrize("stage", ["fresh", "half-way", "finished"])
def test_log_follows_the_template_at_every_stage(sqlite_url: str, demo_plan_text: str, stage: str) -> None:
    store = Store(sqlite_url)
    plan = parse_plan(demo_plan_text)
    release = create_release(store, plan, demo_plan_text, "p", now=plan.release.date)
    clock = ManualClock(plan.release.date)
    if stage == "half-way":
        clock.advance(timedelta(minutes=31))
        for name in ("T+0", "T+15m", "T+30m"):
            evaluate_checkpoint(store, release.id, name, clock.now())
    elif stage == "finished":
        watch(store, clock, [release.slug])
    log = render_monitoring_log(store, release.slug, clock.now())
    assert_follows_template(log)
    assert_no_blanks(log)
    with store.read() as session:
        check_log_against_store(log, session, get_release(session, release.slug))
    if stage == "fresh":
        assert "Not yet evaluated: due at 2026-11-24 09:15 CET" in log
        assert "No rollback was executed." in log
    if stage == "finished":
        assert "- Memory Usage was first flagged at T+1h and the rollback decided at T+2h" in log
        assert "Not evaluated: the release was rolled back at T+2h." in log
        assert "**Release Result:** [ ] ✅ Success [ ] ⚠️ Partial Success [x] 🚨 Rollback Required" in log
        assert "**Verification:** Confirmed 5 min after completion" in log
        # The demo's memory-leak alert rule fires between T+1h and T+2h and opens a critical incident.
        assert "### Issue #1: Memory of the new version is more than 10% above the baseline" in log
        assert "**Severity:** [x] Critical [ ] High [ ] Medium [ ] Low" in log


@given(description=st.text(alphabet="#ab \n-*", max_size=30))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_typed_text_never_adds_a_section(tmp_path_factory: pytest.TempPathFactory, demo_plan_text: str,
                                         description: str) -> None:
    """Whatever people type into an incident, the log keeps the template's outline and shows their text."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('typed') / 'v.db'}")
    try:
        plan = parse_plan(demo_plan_text)
        release = create_release(store, plan, demo_plan_text, "p", now=plan.release.date)
        with store.write() as session:
            open_incident(session, release_id=release.id, title="Typed", severity="low", actor="Ravi Menon",
                          now=plan.release.date, description="x\n" + description)
        log = render_monitoring_log(store, release.slug, plan.release.date)  # raises if the outline breaks
        assert_follows_template(log)
    finally:
        store.dispose()
