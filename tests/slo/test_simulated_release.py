"""Two SLOs on the simulator with an error spike injected mid-release, watched end to end: the fast-burn
page fires within the workbook's detection time, the latency SLO stays quiet, the stored budgets agree
with the simulator's own series, and the rollback on fast burn is decided at the next checkpoint."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from vigil.alerts.models import Alert
from vigil.cli.app import root
from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.metrics.registry import SourceSet
from vigil.plan import Metric, parse_plan
from vigil.releases.service import create_release
from vigil.reports.monitoring_log import render_monitoring_log
from vigil.store import Store
from vigil.watch.budget_models import SloBudget
from vigil.watch.models import Checkpoint, RollbackEvent

SPIKE_AT = timedelta(hours=2)
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "vigil" / "examples"
PLAN = (EXAMPLES / "checkout-slo.yaml").read_text(encoding="utf-8")


def test_an_error_spike_pages_within_the_detection_time_and_rolls_back(sqlite_store: Store) -> None:
    plan = parse_plan(PLAN)
    release = create_release(sqlite_store, plan, PLAN, "plan.yaml", now=plan.release.date)
    clock = ManualClock(plan.release.date)
    watch(sqlite_store, clock, [release.slug])
    t0 = release.started_at
    with sqlite_store.read() as session:
        alerts = {a.rule: a for a in session.scalars(select(Alert).where(Alert.release_id == release.id))}
        rows = session.execute(select(Checkpoint.name, SloBudget).join(
            SloBudget, SloBudget.checkpoint_id == Checkpoint.id)).all()
        rollback = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release.id))
        assert rollback is not None and rollback.checkpoint.name == "T+2h30m"
        assert "fast burn: SLO checkout-availability" in rollback.reason
    budgets = {(name, b.slo): b for name, b in rows}

    # The simulator's own error rate over the hour before the page, from its series, gives the expected
    # detection: the first sample where the 1 h window's burn reaches 14.4 (and the 5 m window's, sooner).
    source = SourceSet(plan).for_metric(plan.metric("throughput"))
    errors = source.fetch(Metric(name="error_rate", label="e"), "new", t0 + SPIKE_AT - timedelta(hours=1),
                          t0 + SPIKE_AT + timedelta(hours=1))
    traffic = source.fetch(Metric(name="throughput", label="t"), "new", t0 + SPIKE_AT - timedelta(hours=1),
                           t0 + SPIKE_AT + timedelta(hours=1))
    bad, total = np.cumsum(traffic.values * errors.values / 100), np.cumsum(traffic.values)
    ts = traffic.timestamps
    burn = [(bad[i] - bad[i - 240]) / (total[i] - total[i - 240]) / 0.001 for i in range(240, ts.size)]
    expected = ts[240 + next(i for i, b in enumerate(burn) if b >= 14.4)]
    page = alerts["checkout-availability.burn.1h-5m"]
    assert page.started_at.timestamp() == expected
    # Workbook: 1 h × 14.4 / burn; the spike burns about 50×, so about 17 minutes after it starts.
    assert timedelta(minutes=15) < page.started_at - (t0 + SPIKE_AT) < timedelta(minutes=19)
    assert not any(rule.startswith("checkout-latency") for rule in alerts)

    before, after = budgets[("T+2h", "checkout-availability")], budgets[("T+2h30m", "checkout-availability")]
    assert before.burning == [] and after.burning == ["14.4× over 1h and 5m", "6× over 6h and 30m"]
    # About 0.04 % errors against a 0.1 % budget (and the spike's first sample, at exactly T+2h).
    e = source.fetch(Metric(name="error_rate", label="e"), "new", t0, t0 + SPIKE_AT)
    t = source.fetch(Metric(name="throughput", label="t"), "new", t0, t0 + SPIKE_AT)
    assert before.burn_rate == pytest.approx(float((t.values * e.values / 100).sum() / t.values.sum() / 0.001))
    assert before.total == pytest.approx(float(t.values.sum() * 15))
    assert after.consumed == pytest.approx((after.total - after.good) / (0.001 * after.total * 30 * 86400 / 9000))
    latency = budgets[("T+2h30m", "checkout-latency")]
    assert latency.consumed is not None and latency.burn_rate is not None and latency.burn_rate < 1

    log = render_monitoring_log(sqlite_store, release.slug, clock.now())
    assert f"| T+2h30m | checkout-availability | {after.good:,.0f} | {after.total:,.0f} |" in log
    assert f"{after.consumed * 100:.2f}% | {after.remaining * 100:.2f}% | 14.4× over 1h and 5m; 6×" in log
    assert "checkout-availability.burn.1h-5m (critical" in log


def test_the_examples_rules_pass_promtool(tmp_path: Path) -> None:
    result = CliRunner().invoke(root, ["slo", "rules", str(EXAMPLES / "checkout-slo.yaml")])
    assert result.exit_code == 0, result.output
    rules = tmp_path / "rules.yml"
    rules.write_text(result.output, encoding="utf-8")
    checked = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0 and "SUCCESS: 26 rules found" in checked.stdout, checked.stdout + checked.stderr
