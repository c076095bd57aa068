"""Builds the metric sources a release's plan names, for one moment of the release's life."""

from __future__ import annotations

from datetime import datetime, timedelta

from vigil.metrics.base import MetricSource
from vigil.metrics.config import file_options, prometheus_options
from vigil.metrics.files import FileSource
from vigil.metrics.prometheus import PrometheusSource
from vigil.metrics.simulator import SimulatorSource
from vigil.plan.schema import Metric, Plan, Source


class SourceSet:
    """The plan's sources by name, and which one each metric reads from."""

    def __init__(self, plan: Plan, rolled_back_at: datetime | None = None) -> None:
        self._plan = plan
        self._sources: dict[str, MetricSource] = {
            spec.name: self._build(spec, rolled_back_at) for spec in plan.all_sources()}

    def _build(self, spec: Source, rolled_back_at: datetime | None) -> MetricSource:
        if spec.kind == "prometheus":
            assert spec.url is not None  # the plan schema requires it
            return PrometheusSource(spec.name, spec.url, prometheus_options(spec.options))
        if spec.kind == "file":
            assert spec.path is not None
            return FileSource(spec.name, spec.path, file_options(spec.options))
        return SimulatorSource(spec, self._plan.release.date, self._traffic, rolled_back_at)

    def _traffic(self, offset: timedelta) -> float:
        return self._plan.traffic_percent(offset)

    def for_metric(self, metric: Metric) -> MetricSource:
        return self._sources[self._plan.source_of(metric).name]
