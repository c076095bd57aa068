"""A release whose plan says ``judge: kayenta``: the stored checkpoint verdict is Kayenta's on the same data."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from vigil.analysis.kayenta import judge
from vigil.analysis.kayenta_step import kayenta_config, plan_metric
from vigil.metrics.registry import SourceSet
from vigil.plan import load_plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import Checkpoint, MetricReading

CONFIG = Path(__file__).parent.parent / "data" / "kayenta" / "canary-config.json"
CLASS = {"Pass": "pass", "High": "high", "Low": "low", "Nodata": "no_data", "NodataFailMetric": "no_data"}


def _release_plan(tmp_path: Path, demo_plan_text: str, latency: float) -> Path:
    """The demo plan with a P99 regression of ``latency`` (share), judged by the team's Kayenta config."""
    shutil.copy(CONFIG, tmp_path / "canary-config.json")
    regression = f"    - kind: latency_regression\n      start: 0m\n      magnitude: {latency}\n"
    text = demo_plan_text.replace("magnitude: 5.5\n", "magnitude: 0.001\n" + regression)
    path = tmp_path / "plan.yaml"
    path.write_text(text + "judge: kayenta\nkayenta_config: canary-config.json\n")
    return path


@pytest.mark.parametrize("latency", [0.01, 0.15, 0.6])
def test_the_stored_verdict_is_kayentas_verdict_on_the_same_data(tmp_path: Path, store: Store,
                                                                   demo_plan_text: str, latency: float) -> None:
    path = _release_plan(tmp_path, demo_plan_text, latency)
    plan, snapshot = load_plan(path)
    release = create_release(store, plan, snapshot, str(path), now=plan.release.date)
    path.unlink()  # the evaluation judges with the snapshot, not the files
    (tmp_path / "canary-config.json").unlink()
    due = release.started_at + timedelta(minutes=30)
    outcome = evaluate_checkpoint(store, release.id, "T+30m", due)

    setup = plan.kayenta()
    assert setup is not None
    config = kayenta_config(plan, setup)
    sources, start = SourceSet(plan), due - plan.evaluation_window
    data = {}
    for kayenta_metric in config.metrics:
        metric = plan_metric(plan, kayenta_metric.name)
        source = sources.for_metric(metric)
        data[kayenta_metric.name] = (source.fetch(metric, "baseline", start, due).values,
                                     source.fetch(metric, "new", start, due).values)
    expected = judge(config, data)

    with store.read() as session:
        checkpoint = session.scalar(select(Checkpoint).where(Checkpoint.release_id == release.id))
        assert checkpoint is not None and checkpoint.decision is not None
        reasons = checkpoint.decision.reasons
        readings = {r.metric: r for r in session.scalars(select(MetricReading))}
    summary = f"Kayenta judge (NetflixACAJudge rules): score {expected.score:g} — {expected.classification}"
    assert any(r.startswith(f"Canary judgement: {summary}") for r in reasons)
    for verdict in expected.verdicts:
        stored = readings[plan_metric(plan, verdict.name).name].details["canary"]
        assert stored["classification"] == CLASS[verdict.classification.value]
        assert stored["method"] == "kayenta"
        if verdict.interval is not None:
            assert stored["interval"] == pytest.approx(list(verdict.interval))
    if expected.classification == "Fail" and outcome.health != "unknown":
        assert outcome.go_no_go == "rollback"  # the plan rolls back on critical; a failed canary is critical
    if latency == 0.6:  # a 60 % slower P99 on a critical Kayenta metric: a critical failure, score 0
        assert expected.score == 0.0 and expected.classification == "Fail"
        assert outcome.go_no_go == "rollback"
    if latency == 0.01:  # no regression to speak of: every metric passes and the release continues
        assert (expected.score, expected.classification, outcome.go_no_go) == (100.0, "Pass", "continue")
