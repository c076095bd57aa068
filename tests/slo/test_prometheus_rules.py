"""`vigil slo rules` writes a rules file the real promtool accepts (check rules), and whose alerts fire
as vigil's own evaluator does when Prometheus evaluates them over series (promtool test rules)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from vigil.cli.app import root

PLAN = """
release:
  name: Checkout
  service: checkout
  version: "2.3.0"
  date: 2026-11-24T08:00:00+00:00
  deployment_method: canary
people:
  release_owner: {name: Ana Costa}
  monitoring_owner: {name: Ravi Menon}
source: {kind: prometheus, url: "http://127.0.0.1:9090", options: {cohorts: {new: canary}}}
metrics:
  - {name: requests, label: Requests, query: 'sum(rate(http_requests_total{version="$cohort"}[1m]))'}
slos:
  - name: checkout-availability
    sli: {good: 'http_requests_total{code!~"5..", version="$cohort"}', total: 'http_requests_total{version="$cohort"}'}
    target: 99.9
  - name: checkout-latency
    sli: {histogram: 'http_request_duration_seconds_bucket{job="checkout"}', threshold: 300ms}
    target: 99
    window: 28d
    alerts:
      - {long: 2h, short: 10m, factor: 10}
"""

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def export(tmp_path: Path) -> Path:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    result = CliRunner().invoke(root, ["slo", "rules", str(plan)])
    assert result.exit_code == 0, result.output
    rules = tmp_path / "rules.yml"
    rules.write_text(result.output, encoding="utf-8")
    return rules


def test_promtool_accepts_the_exported_rules(tmp_path: Path) -> None:
    rules = export(tmp_path)
    checked = subprocess.run([PROMTOOL, "check", "rules", str(rules)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # 5 distinct windows × 2 records + 3 alerts, and 2 windows × 2 records + 1 alert (the override).
    assert "SUCCESS: 18 rules found" in checked.stdout
    text = rules.read_text(encoding="utf-8")
    assert 'http_request_duration_seconds_bucket{job="checkout", le="0.3"}' in text
    assert 'http_request_duration_seconds_count{job="checkout"}' in text
    assert 'version="canary"' in text and "$cohort" not in text


def _series(good_per_min: str, bad_per_min: str) -> str:
    return f"""
      - series: 'http_requests_total{{code="200", version="canary"}}'
        values: '{good_per_min}'
      - series: 'http_requests_total{{code="500", version="canary"}}'
        values: '{bad_per_min}'
"""


def _page(eval_time: str) -> str:
    return f"""
      - eval_time: {eval_time}
        alertname: ErrorBudgetBurn
        exp_alerts:"""


def test_prometheus_fires_the_fast_burn_and_not_on_a_handful_of_requests(tmp_path: Path) -> None:
    rules = export(tmp_path)
    expected = [{"exp_labels": {"slo": "checkout-availability", "service": "checkout", "severity": sev,
                                "long_window": long, "short_window": short},
                 "exp_annotations": {"summary": f"SLO checkout-availability (99.9% over 30d): error budget "
                                                f"burning at {factor}× over {long} and {short}"}}
                for sev, long, short, factor in (("page", "1h", "5m", "14.4"), ("page", "6h", "30m", "6"),
                                                 ("ticket", "3d", "6h", "1"))]
    firing = " " + json.dumps(expected)  # JSON is YAML
    # 6,000 requests a minute (100/s); from 2 h on every request fails.
    outage = _series("0+6000x120 720000+0x30", "0+0x120 0+6000x30")
    # 1 request a minute, all failing: under the 100-event guard in 5 m, 30 m and 1 h, so no page; the 6 h
    # window holds 125 events by 2h5m, so the ticket pair (3d and 6h) does fire.
    trickle = _series("0+0x150", "0+1x150")
    tests = tmp_path / "tests.yml"
    tests.write_text(f"""
rule_files: [{rules}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:{outage}
    alert_rule_test:{_page("1h59m")} []{_page("2h5m")}{firing}
  - interval: 1m
    input_series:{trickle}
    alert_rule_test:{_page("2h5m")} {json.dumps(expected[2:])}
""", encoding="utf-8")
    ran = subprocess.run([PROMTOOL, "test", "rules", str(tests)], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr + tests.read_text(encoding="utf-8")
