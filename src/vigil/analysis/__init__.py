"""Thresholds, baseline comparison, trend tests, health and the go/no-go decision.

The names below load on first use (PEP 562), so importing a light module of this package (statuses) does
not load numpy and scipy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vigil.analysis.decision import CheckpointDecision, decide, health_of
    from vigil.analysis.judgement import MetricJudgement, judge

_HOME = {"CheckpointDecision": "vigil.analysis.decision", "decide": "vigil.analysis.decision",
         "health_of": "vigil.analysis.decision", "MetricJudgement": "vigil.analysis.judgement",
         "judge": "vigil.analysis.judgement"}

__all__ = ["CheckpointDecision", "MetricJudgement", "decide", "health_of", "judge"]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'vigil.analysis' has no attribute '{name}'")
    return getattr(import_module(_HOME[name]), name)
