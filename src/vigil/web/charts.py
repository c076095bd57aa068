"""Chart data for a release: per metric the baseline and the new version over the release's life,
downsampled for display, with the plan's thresholds, checkpoint markers and the rollback marker.

Series come from the plan's own sources (the same ones the checkpoints were judged on), over
[T0 − 30 min, min(now, last checkpoint)]. The result is cached per release and per "version" of what is
stored (checkpoints, rollback, the minute for a release still running), since for a finished release
it can never change.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from vigil.errors import SourceError, VigilError
from vigil.metrics.base import Series
from vigil.metrics.registry import SourceSet
from vigil.plan import Plan
from vigil.plan.schema import Metric
from vigil.releases.models import Release
from vigil.watch.models import Checkpoint, RollbackEvent
from vigil.web.freshness import LruCache

LEAD_IN = timedelta(minutes=30)
MAX_POINTS = 500
INFRASTRUCTURE = frozenset({"cpu_usage", "memory_usage", "db_query_time"})

_CACHE: LruCache[tuple[Any, ...], ChartSet] = LruCache(128)


class ChartSet:
    """A release's charts, with their JSON for the page serialised once per group and kept."""

    def __init__(self, charts: list[dict[str, Any]]) -> None:
        self.charts = charts
        self._json: dict[str | None, str] = {}

    def of(self, group: str | None) -> list[dict[str, Any]]:
        return [c for c in self.charts if group is None or c["group"] == group]

    def html_json(self, group: str | None) -> str:
        """JSON safe to put inside an HTML element (no '<', '>', '&' or quote can close it)."""
        if group not in self._json:
            text = json.dumps(self.of(group), separators=(",", ":"), allow_nan=False)
            for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
                text = text.replace(char, escaped)
            self._json[group] = text
        return self._json[group]


def group_of(metric: Metric) -> str:
    """Which dashboard a metric belongs to: business, infrastructure, or service."""
    if metric.business:
        return "business"
    return "infrastructure" if metric.name in INFRASTRUCTURE else "service"


def chart_window(release: Release, plan: Plan, now: datetime) -> tuple[datetime, datetime]:
    """[T0 − 30 min, end]: up to the last checkpoint, and never past ``now`` — a chart of the future would
    show data that does not exist yet (a simulator would even invent it)."""
    last = release.started_at + (plan.checkpoints[-1] if plan.checkpoints else timedelta(0))
    return release.started_at - LEAD_IN, max(release.started_at, min(last, now))


def release_charts(
    database: str,
    release: Release,
    plan: Plan,
    checkpoints: list[Checkpoint],
    rollback: RollbackEvent | None,
    now: datetime,
) -> ChartSet:
    start, end = chart_window(release, plan, now)
    key = (
        database,
        release.id,
        release.plan_id,
        len(checkpoints),
        rollback.state if rollback else None,
        int(end.timestamp() // 60),
    )
    return _CACHE.get_or_build(key, lambda: ChartSet(_build(release, plan, checkpoints, rollback, start, end)))


def _build(
    release: Release,
    plan: Plan,
    checkpoints: list[Checkpoint],
    rollback: RollbackEvent | None,
    start: datetime,
    end: datetime,
) -> list[dict[str, Any]]:
    rolled_back_at = rollback.completed_at if rollback and rollback.state == "completed" else None
    try:
        sources: SourceSet | None = SourceSet(plan, rolled_back_at=rolled_back_at)
        problem = ""
    except VigilError as exc:
        sources, problem = None, str(exc)
    markers = [
        {"t": c.due_at.timestamp(), "label": c.name, "health": c.decision.health if c.decision else "skipped"}
        for c in checkpoints
    ]
    rollback_marker = None
    if rollback is not None:
        at = rollback.completed_at or rollback.started_at or rollback.decided_at
        rollback_marker = {
            "t": at.timestamp(),
            "label": f"rollback ({rollback.state})",
            "reason": rollback.reason,
        }
    charts = []
    for metric in plan.metrics:
        chart: dict[str, Any] = {
            "metric": metric.name,
            "label": metric.label,
            "unit": metric.unit,
            "group": group_of(metric),
            "thresholds": _thresholds(metric),
            "markers": markers,
            "rollback": rollback_marker,
            "x": [],
            "baseline": [],
            "new": [],
            "problem": problem,
        }
        if sources is not None:
            try:
                source = sources.for_metric(metric)
                base = source.fetch(metric, "baseline", start, end).finite()
                new = source.fetch(metric, "new", start, end).finite()
                chart.update(_aligned(base, new, start.timestamp(), end.timestamp()))
            except SourceError as exc:
                chart["problem"] = f"no data: {exc}"
        charts.append(chart)
    return charts


def _thresholds(metric: Metric) -> dict[str, float | None]:
    """The absolute limits as the judgement applies them (warning defaults to within 10 % of the limit)."""
    t = metric.thresholds
    warning = t.warning
    if warning is None and t.max is not None:
        warning = 0.9 * t.max
    elif warning is None and t.min is not None:
        warning = 1.1 * t.min
    return {"max": t.max, "min": t.min, "warning": warning}


def _aligned(base: Series, new: Series, start: float, end: float) -> dict[str, list[Any]]:
    """Both cohorts on one time axis of at most MAX_POINTS buckets (bucket means; None where empty)."""
    span = max(end - start, 1.0)
    buckets = min(MAX_POINTS, max(1, int(max(len(base), len(new)))))
    width = span / buckets
    x = start + width * (np.arange(buckets) + 0.5)
    return {
        "x": [round(float(v), 1) for v in x],
        "baseline": _bucket(base, start, width, buckets),
        "new": _bucket(new, start, width, buckets),
    }


def _bucket(series: Series, start: float, width: float, buckets: int) -> list[float | None]:
    if len(series) == 0:
        return [None] * buckets
    index = np.clip(((series.timestamps - start) / width).astype(np.int64), 0, buckets - 1)
    sums = np.bincount(index, weights=series.values, minlength=buckets)
    counts = np.bincount(index, minlength=buckets)
    means: npt.NDArray[np.float64] = np.divide(sums, counts, out=np.full(buckets, np.nan), where=counts > 0)
    return [None if not np.isfinite(v) else round(float(v), 4) for v in means]
