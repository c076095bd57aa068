"""``judge: kayenta`` in a plan: Kayenta's canary-config JSON read, checked, and kept in the snapshot."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_text import plan_header
from vigil.analysis.kayenta_step import kayenta_config
from vigil.errors import PlanError
from vigil.plan import load_plan, parse_plan
from vigil.plan.kayenta_config import read_setup

CONFIG = Path(__file__).parent.parent / "data" / "kayenta" / "canary-config.json"
DATE = datetime(2026, 11, 24, 9, tzinfo=UTC)
METRICS = """metrics:
  - {name: p99_latency, label: P99 Latency}
  - {name: p95_latency, label: P95 Latency}
  - {name: error_rate, label: Error Rate}
  - {name: cpu_usage, label: CPU Usage}
"""


def _plan(tmp_path: Path, tail: str = "judge: kayenta\nkayenta_config: canary/config.json\n",
          config: str | None = None) -> Path:
    (tmp_path / "canary").mkdir(exist_ok=True)
    target = tmp_path / "canary" / "config.json"
    if config is None:
        shutil.copy(CONFIG, target)
    else:
        target.write_text(config)
    path = tmp_path / "plan.yaml"
    path.write_text(plan_header(DATE) + METRICS + tail)
    return path


def test_a_plan_judges_with_the_teams_canary_config(tmp_path: Path) -> None:
    plan, snapshot = load_plan(_plan(tmp_path))
    setup = plan.kayenta()
    assert setup is not None and plan.judge == "kayenta"
    config = kayenta_config(plan, setup)
    p99 = next(m for m in config.metrics if m.name == "P99 Latency")
    assert (p99.direction, p99.critical, p99.groups, p99.effect_size.thresholds()) == (
        "increase", True, ["Latency"], (1.0, 1.05))
    error = next(m for m in config.metrics if m.name == "Error Rate")
    assert error.nan_strategy == "replace" and error.effect_size.thresholds() == (0.5, 0.5)  # cles default
    assert config.group_weights == {"Latency": 50, "Errors": 30, "Saturation": 20}
    assert (config.pass_threshold, config.marginal_threshold) == (95.0, 75.0)  # the plan's canary defaults
    # The snapshot holds the config as read, on the line the path was on: later evaluations need no file.
    assert len(snapshot.splitlines()) == len((tmp_path / "plan.yaml").read_text().splitlines())
    (tmp_path / "canary" / "config.json").unlink()
    again = parse_plan(snapshot, str(tmp_path / "plan.yaml"))
    assert again.kayenta() == setup


def test_an_adhoc_request_gives_the_score_thresholds(tmp_path: Path) -> None:
    request = {"canaryConfig": json.loads(CONFIG.read_text()),
               "executionRequest": {"scopes": {}, "thresholds": {"pass": 90, "marginal": 60}}}
    plan, _ = load_plan(_plan(tmp_path, config=json.dumps(request, indent=2)))
    setup = plan.kayenta()
    assert setup is not None
    config = kayenta_config(plan, setup)
    assert (config.pass_threshold, config.marginal_threshold) == (90, 60)


@pytest.mark.parametrize(("mutate", "field", "message"), [
    (lambda c: c["metrics"][0]["analysisConfigurations"]["canary"].update(direction="up"),
     "metrics.0.analysisConfigurations.canary.direction", "'increase', 'decrease' or 'either'"),
    (lambda c: c["metrics"][2]["analysisConfigurations"]["canary"].update(mustHavedata=True),
     "metrics.2.analysisConfigurations.canary.mustHavedata", "unknown field"),
    (lambda c: c["metrics"][1]["analysisConfigurations"]["canary"].update(effectSize={"measure": "ratio"}),
     "metrics.1.analysisConfigurations.canary.effectSize.measure", "'meanRatio' or 'cles'"),
    (lambda c: c["classifier"].update(groupWeights={"Latency": "half"}),
     "classifier.groupWeights.Latency", "valid number"),
    (lambda c: c["metrics"].append(dict(c["metrics"][0])), "metrics", "repeated: P99 Latency"),
    (lambda c: c["classifier"].update(groupWeights={"Latency": -5}), "classifier.groupWeights.Latency",
     "greater than or equal to 0"),
    (lambda c: c.update(metrics=[]), "metrics", "at least 1 item"),
])
def test_a_malformed_config_names_the_file_the_line_and_the_field(tmp_path: Path, mutate, field: str,  # type: ignore[no-untyped-def]
                                                                   message: str) -> None:
    config = json.loads(CONFIG.read_text())
    mutate(config)
    path = _plan(tmp_path, config=json.dumps(config, indent=2))
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    error = caught.value
    assert error.path == str(tmp_path / "canary" / "config.json")
    assert error.field == field and message in error.message
    assert error.line is not None and error.line > 1


def test_bad_json_and_missing_files_are_plan_errors(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as caught:
        load_plan(_plan(tmp_path, config='{"metrics": [\n  {"name": "x",}\n]}'))
    assert caught.value.field == "json" and caught.value.line == 2
    path = _plan(tmp_path, tail="judge: kayenta\nkayenta_config: nowhere.json\n")
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    assert (caught.value.path, caught.value.field) == (str(path), "kayenta_config")
    assert caught.value.line == len(path.read_text().splitlines()) and "no such file" in caught.value.message


@pytest.mark.parametrize(("tail", "message"), [
    ("judge: kayenta\n", "needs kayenta_config"),
    ("kayenta_config: canary/config.json\n", "only with judge: kayenta"),
    ("judge: kayenta\nkayenta_config: canary/config.json\nbaseline: pre_deploy\n", "baseline: concurrent"),
    ("judge: kayentta\n", "'vigil' or 'kayenta'"),
    ("judge: kayenta\nkayenta_config: canary/config.json\ncanary: {enabled: false}\n", "canary.enabled: false"),
])
def test_the_plan_fields_are_validated_with_their_line(tmp_path: Path, tail: str, message: str) -> None:
    path = _plan(tmp_path, tail=tail)
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    assert caught.value.path == str(path) and message in caught.value.message
    assert caught.value.line is not None


def test_every_kayenta_metric_must_name_a_plan_metric(tmp_path: Path) -> None:
    config = json.loads(CONFIG.read_text())
    config["metrics"][3]["name"] = "Heap"
    path = _plan(tmp_path, config=json.dumps(config))
    with pytest.raises(PlanError, match="'Heap' match no plan metric"):
        load_plan(path)


@settings(max_examples=30, deadline=None)
@given(names=st.lists(st.sampled_from(["P99 Latency", "p95_latency", "Error Rate", "CPU Usage"]), min_size=2,
                      max_size=6).filter(lambda n: len(set(n)) < len(n)))
def test_duplicate_names_in_a_config_are_refused(names: list[str]) -> None:
    config = {"metrics": [{"name": n, "groups": ["g"]} for n in names]}
    from vigil.plan.kayenta_config import parse_setup

    with pytest.raises(PlanError, match="metric names must be unique; repeated"):
        parse_setup(config, "config.json")


def test_the_shipped_example_config_reads(tmp_path: Path) -> None:
    setup, raw = read_setup(CONFIG)
    assert [m.name for m in setup.config.metrics] == [m["name"] for m in raw["metrics"]]
    assert setup.thresholds is None
