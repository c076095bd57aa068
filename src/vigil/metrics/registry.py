"""Builds the metric sources a release's plan names, for one moment of the release's life."""

from __future__ import annotations

from datetime import datetime, timedelta

from vigil.errors import VigilError
from vigil.metrics.base import MetricSource
from vigil.metrics.simulator import SimulatorSource
from vigil.plan.schema import Metric, Plan


class SourceSet:
    """The plan's sources by name, and which one each metric reads from."""

    def __init__(self, plan: Plan, rolled_back_at: datetime | None = None) -> None:
        self._plan = plan
        self._sources: dict[str, MetricSource] = {}
        for spec in plan.all_sources():
            if spec.kind != "simulator":
                raise VigilError(f"metric source '{spec.name}': kind '{spec.kind}' is not available in this "
                                 "version; use kind: simulator")
            self._sources[spec.name] = SimulatorSource(spec, plan.release.date, self._traffic, rolled_back_at)

    def _traffic(self, offset: timedelta) -> float:
        return self._plan.traffic_percent(offset)

    def for_metric(self, metric: Metric) -> MetricSource:
        return self._sources[metric.source or self._plan.source.name]
