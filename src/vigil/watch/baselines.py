"""Where a checkpoint's baseline samples come from, as the plan's ``baseline`` chooses.

* ``concurrent``: the old version running beside the new one, same window (canary, blue-green);
* ``pre_deploy``: the service in the hour before T+0 (rolling, big bang);
* ``week_ago``: the same window seven days earlier, for services with a weekly rhythm;
* ``previous_release``: the same checkpoint of the service's previous completed release — its stored
  window when it has one, else the same offset from that release's start — read through that release's
  own plan and its new-version cohort (what was being released then is what runs now).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import SourceError
from vigil.metrics.base import Series
from vigil.metrics.registry import SourceSet
from vigil.plan.schema import Metric, Plan
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.watch.models import Checkpoint

PRE_DEPLOY_WINDOW = timedelta(hours=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class PreviousRelease:
    slug: str
    plan: Plan
    started_at: datetime
    windows: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)  # checkpoint -> stored window


def previous_release(session: Session, release: Release) -> PreviousRelease | None:
    """The latest release of the same service that started earlier and completed (was not rolled back)."""
    earlier = session.scalar(
        select(Release).where(Release.service == release.service, Release.id != release.id,
                              Release.started_at < release.started_at, Release.status == "completed")
        .order_by(Release.started_at.desc(), Release.id.desc()).limit(1))
    if earlier is None:
        return None
    windows = {c.name: (c.window_start, c.window_end) for c in session.scalars(
        select(Checkpoint).where(Checkpoint.release_id == earlier.id, Checkpoint.state == "evaluated"))}
    return PreviousRelease(earlier.slug, plan_of(earlier), earlier.started_at, windows)


class BaselineReader:
    def __init__(self, plan: Plan, sources: SourceSet, release_start: datetime,
                 previous: PreviousRelease | None = None) -> None:
        self._plan, self._sources, self._t0, self._previous = plan, sources, release_start, previous

    def fetch(self, metric: Metric, checkpoint: str, start: datetime, end: datetime) -> Series:
        mode = self._plan.baseline or "concurrent"
        source = self._sources.for_metric(metric)
        if mode == "concurrent":
            return source.fetch(metric, "baseline", start, end)
        if mode == "pre_deploy":
            return source.fetch(metric, "baseline", self._t0 - PRE_DEPLOY_WINDOW, self._t0)
        if mode == "week_ago":
            return source.fetch(metric, "baseline", start - WEEK, end - WEEK)
        return self._previous_release(metric, checkpoint, start, end)

    def span(self, start: datetime, end: datetime) -> timedelta:
        """How long the baseline window ``fetch`` reads for the checkpoint window [start, end] is."""
        return PRE_DEPLOY_WINDOW if (self._plan.baseline or "concurrent") == "pre_deploy" else end - start

    def _previous_release(self, metric: Metric, checkpoint: str, start: datetime, end: datetime) -> Series:
        prev = self._previous
        if prev is None:
            raise SourceError("the plan compares with the previous release, but this service has no earlier "
                              "completed release in the store")
        then_start, then_end = prev.windows.get(
            checkpoint, (prev.started_at + (start - self._t0), prev.started_at + (end - self._t0)))
        then_sources = SourceSet(prev.plan)
        known = {s.name for s in prev.plan.all_sources()}
        then_metric = metric if (metric.source or prev.plan.source.name) in known else metric.model_copy(
            update={"source": None})
        return then_sources.for_metric(then_metric).fetch(then_metric, "new", then_start, then_end)
