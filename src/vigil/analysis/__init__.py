"""Thresholds, baseline comparison, trend tests, health and the go/no-go decision."""

from vigil.analysis.decision import CheckpointDecision, decide, health_of
from vigil.analysis.judgement import MetricJudgement, judge

__all__ = ["CheckpointDecision", "MetricJudgement", "decide", "health_of", "judge"]
