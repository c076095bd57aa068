"""A good plan loads with the template's defaults; a bad one fails with file:line:field, nothing else."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from vigil.errors import PlanError
from vigil.plan import load_plan, parse_plan
from vigil.plan.catalogue import CATALOGUE

MINIMAL = """\
release:
  name: Search v5
  service: search
  version: "5.0"
  date: 2026-11-24T09:00:00+01:00
  deployment_method: rolling
people:
  release_owner: {name: A}
  monitoring_owner: {name: B}
"""


def test_minimal_plan_gets_every_template_metric_and_checkpoint() -> None:
    plan = parse_plan(MINIMAL)
    assert [m.name for m in plan.metrics] == list(CATALOGUE)
    assert plan.checkpoint_names() == ["T+0", "T+15m", "T+30m", "T+1h", "T+2h", "T+4h", "T+8h", "T+24h"]
    limits = {m.name: m.thresholds.max for m in plan.metrics}
    assert limits["error_rate"] == 0.1 and limits["p99_latency"] == 300 and limits["p95_latency"] == 250
    assert limits["cpu_usage"] == 70 and limits["memory_usage"] == 80
    assert plan.baseline == "pre_deploy"  # rolling has no live old version to compare with
    assert plan.traffic_percent(timedelta(hours=1)) == 50


def test_metric_override_keeps_the_rest_of_the_catalogue_defaults() -> None:
    plan = parse_plan(MINIMAL + "metrics:\n  - name: memory_usage\n    thresholds: {max: 90}\n")
    memory = plan.metrics[0]
    assert memory.thresholds.max == 90
    assert memory.thresholds.relative.warning == 15 and memory.leak_check is not None


@pytest.mark.parametrize(("extra", "line", "field"), [
    ("metrics:\n  - name: error_rate\n  - name: cpu_usage\n    thresholds:\n      max: lots\n",
     14, "metrics.1.thresholds.max"),
    ("rollback:\n  consecutive_warning: 2\n", 11, "rollback.consecutive_warning"),
    ("checkpoints: [T+0, T+15x]\n", 10, "checkpoints.1"),
    ("source:\n  faults:\n    - kind: meteor_strike\n", 12, "source.faults.0.kind"),
    ("alerting:\n  rules:\n    - name: odd\n      metric: cpu_usage\n      condition: anomaly\n"
     "      value: 0.999\n      sensitivity: lax\n", 16, "alerting.rules.0.sensitivity"),
    ("alerting:\n  rules:\n    - name: hot\n      metric: cpu_usage\n      value: 90\n"
     "      sensitivity: low\n", 12, "alerting.rules.0"),
])
def test_bad_plan_names_file_line_and_field(tmp_path: Path, extra: str, line: int, field: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL + extra)
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    assert caught.value.line == line
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{path}:{line}: {field}: ")
    assert "\n" not in str(caught.value)


def test_missing_section_points_at_the_enclosing_block() -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(MINIMAL.replace("  monitoring_owner: {name: B}\n", ""), "p.yaml")
    assert caught.value.field == "people.monitoring_owner"
    assert caught.value.line == 7  # the "people:" block that lacks it
    assert "required" in caught.value.message


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(MINIMAL + "metrics: [\n", "p.yaml")
    assert caught.value.field == "yaml" and caught.value.line is not None and caught.value.line >= 10


def test_release_date_needs_a_timezone() -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(MINIMAL.replace("+01:00", ""), "p.yaml")
    assert caught.value.field == "release.date" and caught.value.line == 5


def test_unsorted_checkpoints_are_refused() -> None:
    with pytest.raises(PlanError, match="increasing order"):
        parse_plan(MINIMAL + "checkpoints: [T+1h, T+15m]\n")


def test_missing_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"nope\.yaml"):
        load_plan(tmp_path / "nope.yaml")
