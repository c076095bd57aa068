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
    label: str
    baseline: str
    average: str
    peak: str
    status: str


def summary_rows(plan: Plan, evaluated: list[CheckpointView]) -> list[SummaryRow]:
    """One row per metric over the whole monitoring period (T+0 excluded: it is the pre-deploy state)."""
    rows = []
    after_start = [c for c in evaluated if c.name != "T+0"]
    for metric in plan.metrics:
        readings = [c.readings[metric.name] for c in after_start if metric.name in c.readings]
        values = [r.current for r in readings if r.current is not None]
        baselines = [r.baseline for r in readings if r.baseline is not None]
        worst = max((r.status for r in readings), key=STATUS_ORDER.__getitem__, default="no_data")
        peak = (max(values) if metric.bad == "up" else min(values)) if values else None
        rows.append(SummaryRow(metric.label, fmt(fmean(baselines), metric.unit) if baselines else "no data",
                               fmt(fmean(values), metric.unit) if values else "no data",
                               fmt(peak, metric.unit), STATUS_ICON[worst]))
    return rows


def final_assessment(plan: Plan, evaluated: list[CheckpointView],
                     rollback: RollbackEvent | None) -> dict[str, Any]:
    healths = [c.health for c in evaluated]
    business = [m.name for m in plan.metrics if m.business]
    user_facing = {"error_rate", "p99_latency", "p95_latency"}
    worst_of = _worst_status_by_metric(evaluated)
    criteria = {
        "Technical stability achieved": all(h == "healthy" for h in healths) and bool(healths),
        "Business impact neutral/positive": all(worst_of.get(m, "ok") == "ok" for m in business),
        "User experience maintained": all(worst_of.get(m, "ok") == "ok" for m in user_facing),
        "Monitoring effective": "unknown" not in healths and bool(healths),
        "Communication successful": False,
    }
    if rollback is not None:
        result, rating = "Rollback Required", "Needs Improvement" if rollback.verified else "Poor"
    elif not evaluated:
        result, rating = "In Progress", "Satisfactory"
    elif "critical" in healths or "unknown" in healths:
        result, rating = "Partial Success", "Satisfactory"
    elif "warning" in healths:
        result, rating = "Partial Success", "Good"
    else:
        result, rating = "Success", "Excellent"
    return {"criteria": criteria, "result": result, "rating": rating,
            "justification": _justification(evaluated, rollback)}


def _justification(evaluated: list[CheckpointView], rollback: RollbackEvent | None) -> str:
    if rollback is not None:
        verified = "and the rollback was verified" if rollback.verified else "but the rollback is not verified"
        return (f"The new version was rolled back at {rollback.checkpoint.name} because {rollback.reason}; "
                f"the problem was caught before full rollout {verified}.")
    if not evaluated:
        return "No checkpoint has been evaluated yet."
    counts = {h: sum(1 for c in evaluated if c.health == h) for h in ("healthy", "warning", "critical", "unknown")}
    return (f"{len(evaluated)} checkpoints evaluated: {counts['healthy']} healthy, {counts['warning']} warning, "
            f"{counts['critical']} critical, {counts['unknown']} without data.")


def _worst_status_by_metric(evaluated: list[CheckpointView]) -> dict[str, str]:
    worst: dict[str, str] = {}
    for checkpoint in evaluated:
        for name, reading in checkpoint.readings.items():
            if STATUS_ORDER[reading.status] > STATUS_ORDER[worst.get(name, "ok")]:
                worst[name] = reading.status
    return worst


def business_impact(plan: Plan, evaluated: list[CheckpointView]) -> dict[str, str]:
    """Revenue and user-experience impact from the revenue, error and latency readings."""
    def window(metric: str, hours: float) -> list[Any]:
        return [c.readings[metric] for c in evaluated
                if c.name != "T+0" and metric in c.readings and c.readings[metric].current is not None
                and (c.due_at - evaluated[0].due_at).total_seconds() <= hours * 3600]

    def revenue_line(hours: float) -> str:
        rows = [r for r in window("revenue", hours) if r.baseline is not None]
        if not rows:
            return "Neutral - no revenue readings in this period"
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
    return {
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
    first_warning = next((c for c in evaluated if c.health in {"warning", "critical"}), None)
    if rollback is not None and first_warning is not None:
        worked.append(f"The problem was first flagged at {first_warning.name} and the rollback decided at "
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
