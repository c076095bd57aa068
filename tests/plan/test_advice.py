"""Plan advice: an anomaly rule whose window holds too few samples, and a volume metric on a partial rollout,
are warned about with their line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from plan_text import plan_header
from vigil.plan import parse_plan
from vigil.plan.advice import plan_warnings

HEADER = plan_header(datetime(2026, 11, 24, 9, tzinfo=UTC), method="rolling")


def _plan(source: str, rule: str) -> str:
    return (HEADER + source
            + "metrics:\n  - name: cpu_usage\n    query: cpu{version=\"$cohort\"}\n"
            + "alerting:\n  rules:\n    - name: cpu-odd\n      metric: cpu_usage\n" + rule)


def _warnings(text: str) -> list[str]:
    return [str(w) for w in plan_warnings(parse_plan(text, "p.yaml"), text, "p.yaml")]


def test_a_short_window_at_the_simulators_spacing_is_warned_about_at_its_line() -> None:
    text = _plan("", "      condition: anomaly\n      value: 0.999\n      window: 2h\n")
    line = text.splitlines().index("      window: 2h") + 1
    (warning,) = _warnings(text)
    assert warning.startswith(f"p.yaml:{line}: alerting.rules.0.window: holds 480 samples of 'cpu_usage' at 15 s")
    assert "learns from 1000 (a window of at least 4.2 h)" in warning


def test_a_long_enough_window_and_other_conditions_are_not() -> None:
    assert _warnings(_plan("", "      condition: anomaly\n      value: 0.999\n      window: 5h\n")) == []
    assert _warnings(_plan("", "      condition: rate\n      value: 5\n      window: 2m\n")) == []


def test_a_default_window_points_at_the_rule() -> None:
    text = _plan("", "      condition: anomaly\n      value: 0.999\n")
    line = text.splitlines().index("    - name: cpu-odd") + 1
    (warning,) = _warnings(text)
    assert warning.startswith(f"p.yaml:{line}: alerting.rules.0.window: holds 40 samples")


@pytest.mark.parametrize(("options", "window", "samples"), [
    ("  options: {step: 1m}\n", "6h", 360),  # the plan's step is what the rule gets
    ("", "10m", 600),  # no step: the rule asks for window/1000, but never under a second
])
def test_prometheus_spacing_comes_from_the_plans_step_or_the_rules_request(
        options: str, window: str, samples: int) -> None:
    source = "source:\n  kind: prometheus\n  url: http://127.0.0.1:9090\n" + options
    (warning,) = _warnings(_plan(source, f"      condition: anomaly\n      value: 0.999\n      window: {window}\n"))
    assert f"holds {samples} samples" in warning


def test_prometheus_without_a_step_gets_enough_samples_of_an_hour() -> None:
    source = "source:\n  kind: prometheus\n  url: http://127.0.0.1:9090\n"
    assert _warnings(_plan(source, "      condition: anomaly\n      value: 0.999\n      window: 1h\n")) == []


def test_a_file_sources_spacing_is_unknown_so_nothing_is_said(tmp_path: Path) -> None:
    source = f"source:\n  kind: file\n  path: {tmp_path}\n"
    assert _warnings(_plan(source, "      condition: anomaly\n      value: 0.999\n      window: 1m\n")) == []


def test_a_for_on_an_anomaly_rule_is_warned_about_at_its_line() -> None:
    text = _plan("", "      condition: anomaly\n      value: 0.999\n      window: 5h\n      for: 2m\n")
    line = text.splitlines().index("      for: 2m") + 1
    (warning,) = _warnings(text)
    assert warning.startswith(f"p.yaml:{line}: alerting.rules.0.for: an anomaly score stays above 0.999 for one "
                              "sample, so a rule that needs 120 s of it will hardly ever fire")


def test_a_critical_anomaly_rule_at_high_sensitivity_is_warned_about_at_its_severity() -> None:
    rule = "      condition: anomaly\n      value: 0.999\n      window: 5h\n      severity: critical\n"
    text = _plan("", rule)
    line = text.splitlines().index("      severity: critical") + 1
    (warning,) = _warnings(text)
    assert warning.startswith(f"p.yaml:{line}: alerting.rules.0.severity: a critical anomaly rule at sensitivity "
                              "'high' (the default) also fires about once per 2,703 samples")
    assert "set sensitivity: low (about once per 111,111)" in warning
    assert _warnings(_plan("", rule + "      sensitivity: low\n")) == []
    assert _warnings(_plan("", rule.replace("critical", "warning"))) == []


PROM = "source:\n  kind: prometheus\n  url: http://127.0.0.1:9090\n"


def _volume_plan(source: str, metric: str, method: str = "canary") -> str:
    return (plan_header(datetime(2026, 11, 24, 9, tzinfo=UTC), method=method) + source
            + f"metrics:\n  - name: p99_latency\n    query: p99{{version=\"$cohort\"}}\n  - {metric}\n")


def test_a_volume_metric_on_a_partial_rollout_is_warned_about_at_its_line() -> None:
    text = _volume_plan(PROM, "{name: throughput, query: 'sum(rate(req{version=\"$cohort\"}[1m]))'}")
    line = text.splitlines().index("  - {name: throughput, query: 'sum(rate(req{version=\"$cohort\"}[1m]))'}") + 1
    (warning,) = _warnings(text)
    assert warning.startswith(f"p.yaml:{line}: metrics.1: 'throughput' is a volume and the rollout runs the new "
                              "version on part of the traffic (5 %, 25 %, 50 %): each cohort's value is divided")
    assert "set scales_with_traffic: false" in warning


@pytest.mark.parametrize(("source", "metric", "method"), [
    ("", "{name: throughput}", "canary"),  # the simulator gives volumes at full traffic
    (PROM, "{name: throughput, query: q, muted: true, thresholds: {relative: {}}}", "canary"),  # not judged
    (PROM, "{name: throughput, query: q}", "big-bang"),  # 100 % at once: no partial step
    (PROM, "{name: error_rate, query: q}", "canary"),  # a share, not a volume
])
def test_no_volume_warning_where_nothing_is_judged_on_part_of_the_traffic(source: str, metric: str,
                                                                          method: str) -> None:
    assert _warnings(_volume_plan(source, metric, method)) == []


def test_a_volume_declared_not_to_scale_is_warned_about_too() -> None:
    (warning,) = _warnings(_volume_plan(PROM, "{name: throughput, query: q, scales_with_traffic: false}"))
    assert "compared as measured (scales_with_traffic: false) on a partial rollout (5 %, 25 %, 50 %)" in warning


def test_release_create_shows_the_volume_warning(tmp_path: Path) -> None:
    import subprocess
    import sys

    plan = tmp_path / "plan.yaml"
    plan.write_text(_volume_plan(PROM, "{name: throughput, query: q}"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "vigil", "release", "create", "--plan", str(plan), "--db",
                           str(tmp_path / "v.db")], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "Registered release" in done.stdout
    assert f"warning: {plan}:" in done.stderr and "'throughput' is a volume" in done.stderr
