"""An anomaly rule asks its source for enough samples of its window to learn from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from alerting_fixtures import T0
from vigil.alerts.evaluation import _observed
from vigil.analysis.anomaly import samples_to_learn
from vigil.metrics.base import Cohort, Series
from vigil.plan.schema import Metric
from vigil.releases.models import Release
from vigil.releases.service import plan_of

RULES = """
alerting:
  rules:
    - {name: odd, metric: cpu_usage, condition: anomaly, value: 0.999, window: 6h}
    - {name: hot, metric: cpu_usage, condition: threshold, value: 90}
"""


class _Recording:
    """Stands in for the plan's sources, noting the step each fetch asks for."""

    name = "recording"

    def __init__(self) -> None:
        self.steps: list[timedelta | None] = []

    def for_metric(self, metric: Metric) -> _Recording:
        return self

    def fetch(self, metric: Metric, cohort: Cohort, start: datetime, end: datetime,
              step: timedelta | None = None) -> Series:
        self.steps.append(step)
        return Series.empty()


def test_anomaly_rules_ask_for_a_thousand_samples_of_their_window(make_release: Callable[..., Release]) -> None:
    release = make_release(RULES)
    plan = plan_of(release)
    sources = _Recording()
    odd, hot = plan.alerting.rules
    now = T0 + timedelta(hours=7)
    since = T0 + timedelta(hours=6)
    _observed(plan, release, sources, odd, since, now)  # type: ignore[arg-type]
    _observed(plan, release, sources, hot, since, now)  # type: ignore[arg-type]
    assert sources.steps == [timedelta(hours=6) / samples_to_learn(), None]
    assert samples_to_learn() == 1000
