"""The plan's slos section is validated like the rest of the plan: FILE:LINE: field: problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slo_streams import T0, plan_text
from vigil.analysis.burn import budget_of, events_from_rates
from vigil.errors import PlanError
from vigil.metrics.base import Series
from vigil.plan import parse_plan
from vigil.plan.slo import SLI, SLO

SLO_LINE = 17  # the line of "  - name: checkout-availability" in plan_text


@pytest.mark.parametrize(("replace", "add", "line", "field", "words"), [
    ("total: http_requests_total", "", SLO_LINE + 1, "slos.0.sli", "needs both 'good' and 'total'"),
    ("target: 99.9", "", SLO_LINE + 2, "slos.0.target", "less than 100"),
    ("window: 30d", "", SLO_LINE + 3, "slos.0.window", "at least 1h"),
    (None, "    alerts: [{long: 5m, short: 1h, factor: 14.4}]\n", SLO_LINE + 4, "slos.0.alerts.0",
     "shorter than long"),
    (None, "    source: nope\n", 1, "plan", "unknown source 'nope'"),
    (None, "    min_event: 5\n", SLO_LINE + 4, "slos.0.min_event", "unknown field"),
    (None, "  - name: checkout-availability\n    sli: {good: a, total: b}\n    target: 99\n", SLO_LINE - 1,
     "slos", "repeated: checkout-availability"),
])
def test_a_bad_slo_is_reported_with_its_line(tmp_path: Path, replace: str | None, add: str, line: int,
                                             field: str, words: str) -> None:
    text = plan_text(tmp_path, slo=add)
    if replace == "total: http_requests_total":
        text = text.replace(", total: http_requests_total", "")
    elif replace == "target: 99.9":
        text = text.replace("target: 99.9", "target: 100")
    elif replace == "window: 30d":
        text = text.replace("window: 30d", "window: 30m")
    with pytest.raises(PlanError) as caught:
        parse_plan(text, "plan.yaml")
    assert str(caught.value).startswith(f"plan.yaml:{line}: {field}:"), str(caught.value)
    assert words in str(caught.value)


@pytest.mark.parametrize(("sli", "words"), [
    ({"histogram": "http_request_duration_seconds{job='x'}", "threshold": "300ms"}, "buckets"),
    ({"histogram": "x_bucket"}, "needs both 'histogram' and 'threshold'"),
    ({"histogram": "x_bucket", "threshold": "300ms", "good": "a"}, "not both"),
])
def test_a_latency_sli_needs_a_bucket_selector_and_a_threshold(sli: dict[str, str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        SLI.model_validate(sli)


def test_a_latency_threshold_becomes_the_bucket_le_in_seconds() -> None:
    sli = SLI.model_validate({"histogram": 'h_bucket{job="x"}', "threshold": "250ms"})
    assert sli.good_query() == 'h_bucket{job="x", le="0.25"}' and sli.total_query() == 'h_count{job="x"}'
    assert SLI.model_validate({"histogram": "h_bucket", "threshold": "1s", "le": "1.0"}).good_query() == \
        'h_bucket{le="1.0"}'


@settings(max_examples=50, deadline=None)
@given(rates=st.lists(st.floats(min_value=0.0, max_value=500.0, allow_subnormal=False), min_size=1, max_size=300),
       shares=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=300, max_size=300),
       target=st.floats(min_value=90.0, max_value=99.99), days=st.integers(min_value=1, max_value=90))
def test_budget_figures_are_the_hand_formula_for_any_stream(rates: list[float], shares: list[float],
                                                            target: float, days: int) -> None:
    from datetime import timedelta

    ts = T0.timestamp() + 15.0 * np.arange(1, len(rates) + 1)
    total = np.array(rates)
    good = total * (1 - np.array(shares[: len(rates)]))
    slo = SLO(name="s", sli=SLI(good="g", total="t"), target=target, window=timedelta(days=days))
    budget = budget_of(slo, events_from_rates(Series(ts, good), Series(ts, total)), T0 + timedelta(days=1))
    if len(rates) == 1:  # one sample has no interval to stand for: nothing counted, so no data
        assert budget.total == 0 and budget.consumed is None
        return
    all_events, bad = 15.0 * total.sum(), 15.0 * (total - good).sum()
    assert budget.total == pytest.approx(all_events) and budget.bad == pytest.approx(bad, abs=1e-6)
    if all_events == 0:
        assert budget.consumed is None and budget.remaining is None  # no traffic: no data, never 0 %
        return
    measured = 15.0 * len(rates)
    expected = bad / ((100 - target) / 100 * all_events * days * 86400 / measured)
    assert budget.consumed == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert budget.remaining == pytest.approx(1 - expected, rel=1e-9, abs=1e-12)


def test_a_plan_rule_may_not_take_a_burn_rules_name(tmp_path: Path) -> None:
    text = plan_text(tmp_path) + """alerting:
  rules:
    - {name: checkout-availability.burn.1h-5m, metric: requests, value: 1}
"""
    with pytest.raises(PlanError, match="is named like the burn rules of SLO 'checkout-availability'"):
        parse_plan(text, "plan.yaml")
