"""The log's judgement sections, computed from the recorded checkpoints: summary, business impact,
history, learnings and the final assessment. Nothing here is typed in by a person."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.analysis.judgement import STATUS_ICON, STATUS_ORDER, fmt
from vigil.plan import Plan
from vigil.releases.models import Release
from vigil.watch.models import Checkpoint, RollbackEvent

if TYPE_CHECKING:
    from vigil.reports.formatting import Clockface
    from vigil.reports.monitoring_log import CheckpointView


@dataclass(frozen=True)
class SummaryRow:
    metric: str
    label: str
    baseline: str
    average: str
    peak: str  # the maximum, whatever the metric's bad direction
    worst: str  # the extreme in the bad direction (the maximum when up is bad, the minimum when down is)
    status: str


def summary_rows(plan: Plan, evaluated: list[CheckpointView]) -> list[SummaryRow]:
    """One row per metric over the monitoring period after deployment start (T+0 is the pre-deploy state)."""
    rows = []
    after_start = [c for c in evaluated if c.name != "T+0"]
    for metric in plan.metrics:
        readings = [c.readings[metric.name] for c in after_start if metric.name in c.readings]
        values = [r.current for r in readings if r.current is not None]
        baselines = [r.baseline for r in readings if r.baseline is not None]
        worst_status = max((r.status for r in readings), key=STATUS_ORDER.__getitem__, default="no_data")
        peak = max(values) if values else None
        worst = (max(values) if metric.bad == "up" else min(values)) if values else None
        rows.append(SummaryRow(metric.name, metric.label,
                               fmt(fmean(baselines), metric.unit) if baselines else "no data",
                               fmt(fmean(values), metric.unit) if values else "no data",
                               fmt(peak, metric.unit), fmt(worst, metric.unit), STATUS_ICON[worst_status]))
    return rows


def business_impact(plan: Plan, evaluated: list[CheckpointView]) -> dict[str, str]:
    """Revenue and user-experience impact from the revenue, error and latency readings."""
    def window(metric: str, hours: float) -> list[Any]:
        return [c.readings[metric] for c in evaluated
                if c.name != "T+0" and metric in c.readings and c.readings[metric].current is not None
                and (c.due_at - evaluated[0].due_at).total_seconds() <= hours * 3600]

    def revenue_line(hours: float) -> str:
        if not any(m.name == "revenue" for m in plan.metrics):
            return "No data - the plan has no revenue metric"
        rows = [r for r in window("revenue", hours) if r.baseline is not None]
        if not rows:
            return "No data - no revenue readings with a baseline in this period"
        delta = fmean(r.current - r.baseline for r in rows)
        tone = "Neutral" if abs(delta) < 0.02 * fmean(r.baseline for r in rows) else (
            "Positive" if delta > 0 else "Negative")
        return f"{tone} - {fmt(delta, '$/hour')} on average against baseline ({len(rows)} checkpoints)"

    experience = []
    for metric in ("error_rate", "p99_latency", "p95_latency"):
        rows = window(metric, 24)
        if rows:
            label = rows[0].label
            experience.append(f"{label} averaged {fmt(fmean(r.current for r in rows), rows[0].unit)}")
    resources = [m for m in plan.metrics if m.name in ("cpu_usage", "memory_usage")]
    elevated = sorted({r.label for m in resources for r in window(m.name, 24) if r.status in ("warning", "critical")})
    infrastructure = ("no data: the plan watches no CPU or memory metric" if not resources
                      else "elevated " + ", ".join(elevated) + " was recorded" if elevated
                      else "no elevated CPU or memory usage was recorded")
    return {
        "infrastructure": infrastructure,
        "immediate": revenue_line(4),
        "short_term": revenue_line(24),
        "user_experience": "; ".join(experience) or "no user-facing readings were recorded",
    }


def history(session: Session, release: Release, evaluated: list[CheckpointView]) -> dict[str, Any]:
    """This release against the previous release of the same service recorded in the store."""
    previous = session.scalar(
        select(Release).where(Release.service == release.service, Release.started_at < release.started_at,
                              Release.id != release.id).order_by(Release.started_at.desc()))
    if previous is None:
        return {"previous": None}
    prev_checks = list(session.scalars(select(Checkpoint).where(Checkpoint.release_id == previous.id,
                                                                Checkpoint.state == "evaluated")))
    prev_issues = sum(1 for c in prev_checks if c.decision and c.decision.health != "healthy")
    issues = sum(1 for c in evaluated if c.health != "healthy")
    word = "Fewer" if issues < prev_issues else "More" if issues > prev_issues else "Same"
    return {"previous": previous, "issues": f"{word} - {issues} non-healthy checkpoints against "
                                            f"{prev_issues} for {previous.slug}",
            "prev_rolled_back": previous.status == "rolled_back"}


def learnings(plan: Plan, evaluated: list[CheckpointView], rollback: RollbackEvent | None,
              clock: Clockface) -> dict[str, list[str]]:
    worked, improve = [], []
    flagged = first_flag(evaluated, rollback)
    if rollback is not None and flagged is not None:
        checkpoint, labels = flagged
        worked.append(f"{', '.join(labels)} was first flagged at {checkpoint} and the rollback decided at "
                      f"{rollback.checkpoint.name}, before the new version took all traffic.")
    if rollback is not None and rollback.verified:
        worked.append("The automatic rollback ran once and was verified against the plan's limits.")
    trend_caught = [c.name for c in evaluated for r in c.readings.values()
                    if (r.details.get("trend") or {}).get("significant")]
    if trend_caught:
        worked.append(f"The trend test caught steady growth at {trend_caught[0]} that a point threshold "
                      "would only have caught later.")
    unknown = [c.name for c in evaluated if c.health == "unknown"]
    if unknown:
        improve.append(f"Metric data was missing at {', '.join(unknown)}; check the sources' availability.")
    if rollback is not None:
        improve.append(f"Find out why the {rollback.reason.split(':')[0]} condition was not caught before "
                       "release (load or soak testing).")
    if not worked:
        worked.append("Every checkpoint was evaluated on time from recorded data.")
    if not improve:
        improve.append("No monitoring gaps were identified from the recorded data.")
    return {"worked": worked, "improve": improve}


def first_flag(evaluated: list[CheckpointView], rollback: RollbackEvent | None) -> tuple[str, list[str]] | None:
    """Where the problem that led to the rollback was first flagged, and which metrics flagged it.

    The decisive metrics are those out of limits at the rollback checkpoint; the flag is the start of the
    unbroken run of checkpoints, ending there, in which one of them was out of limits. A warning that
    cleared before that run, or one on another metric, had nothing to do with the decision.
    """
    if rollback is None:
        return None
    names = [c.name for c in evaluated]
    if rollback.checkpoint.name not in names:
        return None
    end = names.index(rollback.checkpoint.name)
    decisive = {n for n, r in evaluated[end].readings.items() if r.status in ("warning", "critical")}
    if not decisive:
        return None
    start = end
    while start > 0 and any(evaluated[start - 1].readings.get(n) is not None
                            and evaluated[start - 1].readings[n].status in ("warning", "critical")
                            for n in decisive):
        start -= 1
    first = evaluated[start].readings
    labels = sorted({first[n].label for n in decisive if n in first and first[n].status in ("warning", "critical")})
    return evaluated[start].name, labels
