"""OpenSLO v1 → the plan's slos section; malformed OpenSLO names the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from slo_streams import plan_text
from vigil.cli.app import root
from vigil.errors import PlanError
from vigil.plan import parse_plan
from vigil.plan.openslo import parse_openslo, slos_section

INLINE = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  displayName: Checkout availability
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-success}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec: {query: 'http_requests_total{code!~"5.."}'}
        total:
          metricSource:
            type: Prometheus
            spec: {query: http_requests_total}
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: good
      target: 0.999
"""

REFERENCED = """\
apiVersion: openslo/v1
kind: SLI
metadata: {name: checkout-errors}
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code=~"5.."}'}}
    total:
      metricSource: {type: Prometheus, spec: {query: http_requests_total}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-errors-slo}
spec:
  indicatorRef: checkout-errors
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives: [{targetPercent: 99.5}]
"""


def test_an_inline_indicator_becomes_a_plan_slo() -> None:
    [slo] = parse_openslo(INLINE, "slo.yaml")
    assert slo.name == "checkout-availability" and slo.target == pytest.approx(99.9)
    assert slo.window.days == 28
    assert slo.sli.good == 'http_requests_total{code!~"5.."}' and slo.sli.total == "http_requests_total"


def test_an_indicator_ref_reads_the_sli_document_and_bad_becomes_total_minus_bad() -> None:
    [slo] = parse_openslo(REFERENCED, "slo.yaml")
    assert slo.target == 99.5 and slo.window.days == 30
    assert slo.sli.good == ('sum(rate(http_requests_total[$window])) - '
                            'sum(rate(http_requests_total{code=~"5.."}[$window]))')


def test_the_printed_section_is_a_valid_plan_section(tmp_path: Path) -> None:
    source = tmp_path / "slo.yaml"
    source.write_text(INLINE + "---\n" + REFERENCED, encoding="utf-8")
    result = CliRunner().invoke(root, ["slo", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("slos:\n")
    head = plan_text(tmp_path).split("slos:\n")[0]
    plan = parse_plan(head + result.output)
    assert [s.name for s in plan.slos] == ["checkout-availability", "checkout-errors-slo"]
    assert plan.slos == [*parse_openslo(INLINE, "x"), *parse_openslo(REFERENCED, "x")]
    assert slos_section(plan.slos) == result.output


@pytest.mark.parametrize(("text", "line", "field", "words"), [
    (INLINE.replace("  objectives:\n    - displayName: good\n      target: 0.999\n", ""), 6, "spec.objectives",
     "is required"),
    (INLINE.replace("target: 0.999", "target: 99.9"), 27, "spec.objectives.0.target", "less than 1"),
    (INLINE.replace("spec: {query: http_requests_total}", "spec: {}"), 20,
     "spec.indicator.spec.ratioMetric.total.metricSource.spec.query", "is required"),
    (INLINE.replace("duration: 28d", "duration: 1M"), 22, "spec.timeWindow.0.duration", "not a duration"),
    (INLINE.replace("isRolling: true", "isRolling: false"), 21, "spec.timeWindow", "rolling"),
    (INLINE.replace("apiVersion: openslo/v1", "apiVersion: openslo/v2alpha"), 1, "apiVersion", "openslo/v1"),
    (REFERENCED.replace("indicatorRef: checkout-errors", "indicatorRef: nope"), 16, "spec.indicatorRef",
     "no 'kind: SLI' document named 'nope'"),
    ("apiVersion: openslo/v1\nkind: Service\nmetadata: {name: x}\n", 1, "kind", "no 'kind: SLO'"),
    ("kind: SLO\n  bad: [", 2, "yaml", ""),
])
def test_malformed_openslo_names_file_line_and_field(text: str, line: int, field: str, words: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_openslo(text, "team/slo.yaml")
    message = str(caught.value)
    assert message.startswith(f"team/slo.yaml:{line}: {field}:"), message
    assert words in message
