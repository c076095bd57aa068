"""Builds the metric sources a release's plan names, for one moment of the release's life, and says how
densely each source samples (what a window of a given span should hold)."""

from __future__ import annotations

from datetime import datetime, timedelta

from vigil.metrics.base import MetricSource
from vigil.metrics.config import file_options, prometheus_options
from vigil.metrics.files import FileSource
from vigil.metrics.prometheus import PrometheusSource, query_step
from vigil.metrics.simulator import STEP_SECONDS, SimulatorSource
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


def sample_spacing(spec: Source, wanted: timedelta | None, span: timedelta) -> timedelta | None:
    """The spacing of the samples ``spec`` returns over ``span`` when the caller asks for ``wanted``
    (Prometheus range queries; other sources have their own), or None where only the data tells (files)."""
    if spec.kind == "simulator":
        return timedelta(seconds=STEP_SECONDS)
    if spec.kind == "prometheus":
        return query_step(prometheus_options(spec.options).step, wanted, span)
    return None


def expected_samples(spec: Source, span: timedelta) -> int | None:
    """How many samples a full window of ``span`` holds from ``spec`` (start excluded, end included), or
    None where the source does not say (a file's rows have the spacing they have)."""
    if spec.kind == "prometheus" and prometheus_options(spec.options).mode == "instant":
        return 1
    spacing = sample_spacing(spec, None, span)
    if spacing is None:
        return None
    return max(1, int(span / spacing))
