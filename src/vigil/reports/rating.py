"""The log's Final Assessment: the success criteria, the release result and the overall rating.

The rating rule (docs/governance.md, "How a release is rated"): a release is never rated better than its
evidence. In order:

1. rolled back: result "Rollback Required", rating "Needs Improvement" (verified) or "Poor" (not verified);
2. nothing evaluated yet, or checkpoints still pending: result "In Progress", no rating yet;
3. more than half of the evaluated checkpoints without data: result "Not Established", rating "Poor" -
   the monitoring did not produce the evidence a result needs;
4. any checkpoint without data or critical: "Partial Success", "Satisfactory";
5. any warning: "Partial Success", "Good";
6. every checkpoint healthy: "Success", "Excellent".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.communication import step_key
from vigil.alerts.models import Communication, Notification
from vigil.plan import Plan
from vigil.releases.models import Release
from vigil.watch.models import RollbackEvent

if TYPE_CHECKING:
    from vigil.reports.monitoring_log import CheckpointView

USER_FACING = ("error_rate", "p99_latency", "p95_latency")


class Result(StrEnum):
    SUCCESS = "Success"
    PARTIAL = "Partial Success"
    ROLLBACK = "Rollback Required"
    IN_PROGRESS = "In Progress"
    NOT_ESTABLISHED = "Not Established"


class Rating(StrEnum):
    EXCELLENT = "Excellent"
    GOOD = "Good"
    SATISFACTORY = "Satisfactory"
    NEEDS_IMPROVEMENT = "Needs Improvement"
    POOR = "Poor"


@dataclass(frozen=True)
class Criterion:
    label: str
    met: bool
    why: str  # what in the store decided it, in words


@dataclass(frozen=True)
class FinalAssessment:
    criteria: list[Criterion]
    result: Result
    rating: Rating | None  # None: not rated yet
    justification: str


def final_assessment(session: Session, release: Release, plan: Plan, checkpoints: list[CheckpointView],
                     rollback: RollbackEvent | None, now: datetime) -> FinalAssessment:
    evaluated = [c for c in checkpoints if c.state == "evaluated"]
    pending = [c for c in checkpoints if c.state == "pending"]
    result, rating = rate(evaluated, pending, rollback)
    criteria = [
        _stability(evaluated),
        _metrics_unharmed("Business impact neutral/positive", [m.name for m in plan.metrics if m.business],
                          evaluated, "business"),
        _metrics_unharmed("User experience maintained",
                          [m.name for m in plan.metrics if m.name in USER_FACING], evaluated, "user-facing"),
        _monitoring_effective(evaluated),
        communication_criterion(session, release, plan, now),
    ]
    return FinalAssessment(criteria, result, rating, _justification(evaluated, pending, rollback, result))


def rate(evaluated: list[CheckpointView], pending: list[CheckpointView],
         rollback: RollbackEvent | None) -> tuple[Result, Rating | None]:
    """The rule in the module docstring; the one place a result or rating is decided."""
    if rollback is not None:
        return Result.ROLLBACK, Rating.NEEDS_IMPROVEMENT if rollback.verified else Rating.POOR
    if not evaluated or pending:
        return Result.IN_PROGRESS, None
    healths = [c.health for c in evaluated]
    if 2 * healths.count("unknown") > len(healths):
        return Result.NOT_ESTABLISHED, Rating.POOR
    if "critical" in healths or "unknown" in healths:
        return Result.PARTIAL, Rating.SATISFACTORY
    if "warning" in healths:
        return Result.PARTIAL, Rating.GOOD
    return Result.SUCCESS, Rating.EXCELLENT


def _justification(evaluated: list[CheckpointView], pending: list[CheckpointView],
                   rollback: RollbackEvent | None, result: Result) -> str:
    counts = {h: sum(1 for c in evaluated if c.health == h) for h in ("healthy", "warning", "critical", "unknown")}
    tally = (f"{len(evaluated)} checkpoint{'s' if len(evaluated) != 1 else ''} evaluated: {counts['healthy']} "
             f"healthy, {counts['warning']} warning, {counts['critical']} critical, {counts['unknown']} without "
             "data.")
    if rollback is not None:
        verified = "and the rollback was verified" if rollback.verified else "but the rollback is not verified"
        return (f"The new version was rolled back at {rollback.checkpoint.name} because {rollback.reason}; "
                f"the problem was caught before full rollout {verified}. {tally}")
    if not evaluated:
        return "No checkpoint has been evaluated yet; the release is not rated before its last checkpoint."
    if pending:
        return (f"{tally} {len(pending)} checkpoint{'s' if len(pending) != 1 else ''} still to come (the last "
                f"at {pending[-1].name}); the release is not rated before its last checkpoint.")
    if result is Result.NOT_ESTABLISHED:
        return (f"{tally} Most checkpoints had no data, so the recorded evidence cannot establish how the "
                "release went; it is rated no better than that evidence.")
    return tally


def _stability(evaluated: list[CheckpointView]) -> Criterion:
    label = "Technical stability achieved"
    if not evaluated:
        return Criterion(label, False, "no checkpoint evaluated yet")
    off = [f"{c.name} {c.health}" for c in evaluated if c.health != "healthy"]
    if off:
        return Criterion(label, False, "not every checkpoint was healthy: " + ", ".join(off))
    return Criterion(label, True, f"all {len(evaluated)} evaluated checkpoints healthy")


def _metrics_unharmed(label: str, names: list[str], evaluated: list[CheckpointView], kind: str) -> Criterion:
    """Met only when the plan has such metrics, they have data, and none left its limits."""
    if not names:
        return Criterion(label, False, f"no data: the plan has no {kind} metric")
    readings = [c.readings[n] for c in evaluated for n in names if n in c.readings]
    with_data = [r for r in readings if r.current is not None]
    if not with_data:
        return Criterion(label, False, f"no data: no {kind} reading was recorded")
    bad = sorted({f"{r.label} {r.status}" for r in readings if r.status in ("warning", "critical")})
    if bad:
        return Criterion(label, False, "outside limits: " + ", ".join(bad))
    missing = len(readings) - len(with_data)
    note = f" ({missing} reading{'s' if missing != 1 else ''} without data)" if missing else ""
    return Criterion(label, True, f"{len(with_data)} {kind} readings within limits{note}")


def _monitoring_effective(evaluated: list[CheckpointView]) -> Criterion:
    label = "Monitoring effective"
    if not evaluated:
        return Criterion(label, False, "no checkpoint evaluated yet")
    unknown = [c.name for c in evaluated if c.health == "unknown"]
    if unknown:
        return Criterion(label, False, "data was missing at " + ", ".join(unknown))
    return Criterion(label, True, f"every one of {len(evaluated)} evaluated checkpoints had data")


def communication_criterion(session: Session, release: Release, plan: Plan, now: datetime) -> Criterion:
    """Met when every communication step that is due (or was sent early, as the final notice is when the
    watch ends) was recorded, and every recorded message - those and any outside the timeline, such as a
    rollback notice - had each of its notifications sent."""
    label = "Communication successful"
    sent = {c.step: c for c in session.scalars(select(Communication).where(Communication.release_id == release.id))}
    timeline = sorted(plan.communication.timeline, key=lambda s: s.at)
    due = [step_key(s) for s in timeline if release.started_at + s.at <= now or step_key(s) in sent]
    extra = sorted(set(sent) - {step_key(s) for s in timeline})
    if not due and not extra:
        return Criterion(label, False, "no stakeholder update was due yet")
    failures = []
    for key in [*due, *extra]:
        comm = sent.get(key)
        if comm is None:
            failures.append(f"{key} not sent")
            continue
        notes = list(session.scalars(select(Notification).where(Notification.id.in_(comm.notification_ids or [-1]))))
        if not notes:
            failures.append(f"{key} reached no channel")
        failures += [f"{key} {n.channel} {n.status}" for n in notes if n.status != "sent"]
    if failures:
        return Criterion(label, False, "; ".join(failures))
    return Criterion(label, True, f"all {len(due) + len(extra)} due updates delivered")
