"""From metric judgements to the checkpoint's health, go/no-go, confidence, risk and recommendation.

Health is the worst of its parts, and missing data can never be healthy: a checkpoint with any metric
lacking data is "unknown" unless something is already critical.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.analysis.judgement import MetricJudgement
from vigil.analysis.models import CanaryJudgement
from vigil.plan.schema import Metric, RollbackPolicy


@dataclass(frozen=True)
class CheckpointDecision:
    health: str  # healthy | warning | critical | unknown
    go_no_go: str  # continue | hold | rollback
    confidence: str  # high | medium | low
    risk: str  # low | medium | high
    recommendation: str
    reasons: list[str]
    rollback_reason: str | None


def health_of(judgements: list[MetricJudgement]) -> str:
    statuses = {j.status for j in judgements}
    if "critical" in statuses:
        return "critical"
    if "no_data" in statuses or not judgements:
        return "unknown"
    return "warning" if "warning" in statuses else "healthy"


def decide(judgements: list[MetricJudgement], metrics: dict[str, Metric], policy: RollbackPolicy,
           previous_healths: list[str], canary: CanaryJudgement | None = None) -> CheckpointDecision:
    """Decide one checkpoint; ``previous_healths`` are the earlier checkpoints' health, oldest first.

    ``canary`` is the statistical comparison with a live baseline, when there is one: a failed canary is
    critical, and one without enough evidence holds the rollout rather than passing it.
    """
    health = health_of(judgements)
    # Missing data follows the plan's on_unknown policy; the canary's own "must have data" rule must not
    # turn an unreachable source into a rollback by the back door.
    canary_failed = canary is not None and canary.outcome == "fail" and health != "unknown"
    if canary_failed:
        health = "critical"
    reasons = [f"{j.label}: {j.reason}" for j in judgements if j.status != "ok"]
    rollback_reason = _rollback_reason(judgements, metrics, policy, health, previous_healths)
    if not rollback_reason and canary is not None and canary_failed and policy.on_critical:
        rollback_reason = f"canary judgement failed: {canary.sentence}"
    if rollback_reason:
        go = "rollback"
    elif health == "unknown":
        go = "rollback" if policy.on_unknown == "rollback" else "hold"
        rollback_reason = "metric data is missing and the plan rolls back on unknown" if go == "rollback" else None
    elif canary is not None and canary.outcome == "insufficient":
        go = "hold"
    else:
        go = "continue"
    if canary is not None:
        reasons.append(f"Canary judgement: {canary.sentence}")
    if go == "hold":
        reasons.append("Holding: the rollout should not advance until there is data enough to judge.")
    if all(j.status == "ok" for j in judgements) and go == "continue":
        reasons.insert(0, f"All {len(judgements)} metrics are within their thresholds.")
    return CheckpointDecision(
        health=health,
        go_no_go=go,
        confidence={"healthy": "high", "warning": "medium"}.get(health, "low"),
        risk={"healthy": "low", "warning": "medium", "unknown": "medium"}.get(health, "high"),
        recommendation={"rollback": "rollback", "hold": "extended monitoring"}.get(
            go, "extended monitoring" if health == "warning" else "continue monitoring"),
        reasons=reasons,
        rollback_reason=rollback_reason,
    )


def _rollback_reason(judgements: list[MetricJudgement], metrics: dict[str, Metric], policy: RollbackPolicy,
                     health: str, previous_healths: list[str]) -> str | None:
    critical = [j for j in judgements if j.status == "critical"]
    if critical and policy.on_critical:
        return "critical: " + "; ".join(f"{j.label} — {j.reason}" for j in critical)
    must_have = [j.label for j in judgements if j.status == "no_data" and metrics[j.metric].critical]
    if must_have and policy.on_unknown == "rollback":
        return "no data for critical metrics: " + ", ".join(must_have)
    if health == "warning" and policy.consecutive_warnings:
        run = 1
        for earlier in reversed(previous_healths):
            if earlier != "warning":
                break
            run += 1
        if run >= policy.consecutive_warnings:
            warned = ", ".join(j.label for j in judgements if j.status == "warning")
            return f"{run} consecutive checkpoints in warning (policy: {policy.consecutive_warnings}); now: {warned}"
    return None
