"""From metric judgements to the checkpoint's health, go/no-go, confidence, risk and recommendation.

Health is the worst of its parts, and missing data can never be healthy: a checkpoint with any metric
lacking data is "unknown" unless something is already critical.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.analysis.judgement import MetricJudgement
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
           previous_healths: list[str]) -> CheckpointDecision:
    """Decide one checkpoint; ``previous_healths`` are the earlier checkpoints' health, oldest first."""
    health = health_of(judgements)
    reasons = [f"{j.label}: {j.reason}" for j in judgements if j.status != "ok"]
    rollback_reason = _rollback_reason(judgements, metrics, policy, health, previous_healths)
    if rollback_reason:
        go = "rollback"
    elif health == "unknown":
        go = "rollback" if policy.on_unknown == "rollback" else "hold"
        rollback_reason = "metric data is missing and the plan rolls back on unknown" if go == "rollback" else None
    else:
        go = "continue"
    if go == "hold":
        reasons.append("Holding: the rollout should not advance until the missing data is back.")
    if not reasons:
        reasons.append(f"All {len(judgements)} metrics are within their thresholds.")
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
