"""File sources: CSV, JSON lines and OpenMetrics snapshots, cohorts, windows, and clear errors."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigil.errors import PlanError, SourceError
from vigil.metrics.config import file_options
from vigil.metrics.files import FileSource
from vigil.plan import parse_plan
from vigil.plan.schema import Metric

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
T0S = T0.timestamp()
METRIC = Metric(name="p99_latency", label="P99")


def _source(path: Path, **options: object) -> FileSource:
    return FileSource("files", path, file_options(options))


def test_csv_with_header_cohorts_iso_and_epoch_times(tmp_path: Path) -> None:
    (tmp_path / "p99_latency.csv").write_text(
        "timestamp,value,cohort\n"
        f"{T0S + 60},200,stable\n"
        "2026-11-24T09:01:00Z,300,canary\n"
        "2026-11-24T09:02:00,310,canary\n"  # no offset: UTC
        f"{T0S + 180},NaN,canary\n"
        f"{T0S + 600},999,canary\n", encoding="utf-8")
    source = _source(tmp_path, cohorts={"baseline": "stable", "new": "canary"})
    new = source.fetch(METRIC, "new", T0, T0 + timedelta(minutes=5))
    assert new.timestamps.tolist() == [T0S + 60, T0S + 120, T0S + 180]
    assert new.values[:2].tolist() == [300.0, 310.0] and math.isnan(new.values[2])
    assert source.fetch(METRIC, "baseline", T0, T0 + timedelta(minutes=5)).values.tolist() == [200.0]
    # the window is (start, end]: a sample exactly at the start is outside
    assert len(source.fetch(METRIC, "baseline", T0 + timedelta(minutes=1), T0 + timedelta(minutes=5))) == 0


def test_csv_without_cohort_counts_for_both_cohorts(tmp_path: Path) -> None:
    (tmp_path / "p99_latency.csv").write_text(f"{T0S + 1},5\n{T0S + 2},6\n", encoding="utf-8")
    source = _source(tmp_path)
    window = (T0, T0 + timedelta(seconds=10))
    assert source.fetch(METRIC, "new", *window).values.tolist() == [5.0, 6.0]
    assert source.fetch(METRIC, "baseline", *window).values.tolist() == [5.0, 6.0]


def test_jsonl_with_several_metrics_in_one_file(tmp_path: Path) -> None:
    data = tmp_path / "all.jsonl"
    data.write_text(
        f'{{"timestamp": {T0S + 1}, "value": 1.5, "cohort": "new", "metric": "p99_latency"}}\n'
        f'{{"timestamp": {T0S + 2}, "value": 9, "cohort": "new", "metric": "error_rate"}}\n\n',
        encoding="utf-8")
    assert _source(data).fetch(METRIC, "new", T0, T0 + timedelta(seconds=5)).values.tolist() == [1.5]


def test_openmetrics_snapshot_directory_takes_time_from_file_names(tmp_path: Path) -> None:
    for minute, (stable, canary) in enumerate([(0.2, 0.3), (0.21, 0.5)], start=1):
        (tmp_path / f"{int(T0S) + 60 * minute}.prom").write_text(
            "# TYPE latency_p99_seconds gauge\n"
            f'latency_p99_seconds{{version="stable",service="s"}} {stable}\n'
            f'latency_p99_seconds{{version="canary",service="s"}} {canary}\n'
            "# TYPE other gauge\nother 1\n", encoding="utf-8")
    source = _source(tmp_path, samples={"p99_latency": "latency_p99_seconds"},
                     cohorts={"baseline": "stable", "new": "canary"})
    new = source.fetch(METRIC, "new", T0, T0 + timedelta(minutes=5))
    assert new.timestamps.tolist() == [T0S + 60, T0S + 120] and new.values.tolist() == [0.3, 0.5]


def test_openmetrics_file_with_sample_timestamps_and_inf(tmp_path: Path) -> None:
    (tmp_path / "p99_latency.om").write_text(
        "# TYPE p99_latency gauge\n"
        f'p99_latency{{version="new"}} 250 {T0S + 30}\n'
        f'p99_latency{{version="new"}} +Inf {T0S + 90}\n'
        "# EOF\n", encoding="utf-8")
    series = _source(tmp_path).fetch(METRIC, "new", T0, T0 + timedelta(minutes=2))
    assert series.values[0] == 250.0 and series.values[1] == math.inf
    assert series.finite().values.tolist() == [250.0]


def test_several_series_for_one_cohort_are_refused(tmp_path: Path) -> None:
    (tmp_path / "p99_latency.prom").write_text(
        f'p99_latency{{version="new",pod="a"}} 1 {int((T0S + 5) * 1000)}\n'
        f'p99_latency{{version="new",pod="b"}} 2 {int((T0S + 5) * 1000)}\n', encoding="utf-8")
    with pytest.raises(SourceError, match="2 series"):
        _source(tmp_path).fetch(METRIC, "new", T0, T0 + timedelta(minutes=1))


@pytest.mark.parametrize(("content", "message"), [
    ("timestamp,value\nyesterday,1\n", r"p99_latency.csv:2: 'yesterday' is not a timestamp"),
    ("1,2\n3,lots\n", r"p99_latency.csv:2: 'lots' is not a number"),
    ("1,2,new,x,y\n", r"p99_latency.csv:1: expected timestamp,value\[,cohort\]"),
])
def test_bad_rows_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "p99_latency.csv").write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        _source(tmp_path).fetch(METRIC, "new", T0, T0 + timedelta(minutes=1))


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no file for metric 'p99_latency'"):
        _source(tmp_path).fetch(METRIC, "new", T0, T0 + timedelta(minutes=1))


PLAN = """release:
  name: x
  service: s
  version: "1"
  date: 2026-11-24T09:00:00Z
  deployment_method: canary
people:
  release_owner: {name: A}
  monitoring_owner: {name: B}
source:
  kind: prometheus
  url: http://127.0.0.1:9090
  options:
%s
metrics:
  - name: error_rate
    query: 'up{version="$cohort"}'
"""


def test_plan_refuses_a_misspelt_source_option_with_its_line() -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(PLAN % "    cohort: {baseline: stable, new: canary}", "plan.yaml")
    assert str(caught.value) == "plan.yaml:13: source.options: cohort: unknown option (check the spelling)"


def test_plan_refuses_prometheus_metric_without_query() -> None:
    text = (PLAN % "    retries: 1").replace("    query: 'up{version=\"$cohort\"}'\n", "")
    with pytest.raises(PlanError, match="reads from Prometheus and needs a query"):
        parse_plan(text, "plan.yaml")


def test_plan_accepts_the_new_baseline_modes() -> None:
    for mode in ("pre_deploy", "week_ago", "previous_release"):
        assert parse_plan(PLAN % "    retries: 1" + f"baseline: {mode}\n").baseline == mode
