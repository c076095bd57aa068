"""Settings of the canary judge (embeddable in the plan schema) and the verdicts it returns.

Settings are pydantic models (frozen, unknown keys refused) so a plan can carry them; verdicts are frozen
dataclasses that keep every number behind the outcome next to a sentence a release manager can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

Direction = Literal["increase", "decrease", "either"]
Classification = Literal["pass", "high", "low", "no_data", "insufficient", "error"]
Outcome = Literal["pass", "marginal", "fail", "insufficient"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricJudgeConfig(_Strict):
    """How one metric is compared between the baseline (control) and the canary."""

    name: str = Field(min_length=1)
    label: str | None = None
    unit: str = ""
    kind: Literal["continuous", "count"] = Field(
        default="continuous",
        description="continuous: rank test on the samples; count: events compared as rates over exposure",
    )
    direction: Direction = Field(default="increase", description="which change is bad")
    tolerance: float = Field(default=0.1, ge=0, description="allowed change, as a share of the baseline")
    tolerance_abs: float = Field(default=0.0, ge=0, description="continuous: allowed change in metric units")
    max_plausible_ratio: float = Field(
        default=2.0,
        gt=1,
        description="pass only once a change to this many times the baseline (or 1/ratio) is ruled out",
    )
    critical: bool = False
    must_have_data: bool = True
    muted: bool = False
    weight: float = Field(default=1.0, gt=0)
    group: str = "default"
    nan_strategy: Literal["remove", "replace"] = "remove"
    min_samples: int = Field(default=20, ge=9, description="continuous: fewer points per cohort is not evidence")
    min_exposure: float = Field(default=0.0, ge=0, description="count: less exposure per cohort is not evidence")

    @property
    def title(self) -> str:
        return self.label or self.name


class CanaryConfig(_Strict):
    """The whole comparison: metrics, group weights, confidence and the score thresholds."""

    metrics: list[MetricJudgeConfig] = Field(min_length=1)
    confidence: float = Field(default=0.98, gt=0.5, lt=1)
    group_weights: dict[str, float] = Field(default_factory=dict)
    pass_threshold: float = Field(default=95.0, ge=0, le=100)
    marginal_threshold: float = Field(default=75.0, ge=0, le=100)
    screen: bool = Field(default=True, description="skip exact rank tests that provably cannot reject")

    @model_validator(mode="after")
    def _consistent(self) -> CanaryConfig:
        names = [m.name for m in self.metrics]
        if len(set(names)) != len(names):
            raise ValueError("metric names must be unique")
        if self.marginal_threshold > self.pass_threshold:
            raise ValueError("marginal_threshold must not exceed pass_threshold")
        if any(w < 0 for w in self.group_weights.values()):
            raise ValueError("group weights must not be negative")
        return self

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence


FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MetricData:
    """One metric's samples for both cohorts. ``error`` is a source failure: never read as data.

    For count metrics ``*_exposure`` holds the denominator per sample (requests, seconds); without it each
    sample counts as one unit of exposure (events per scrape interval).
    """

    control: FloatArray
    canary: FloatArray
    control_exposure: FloatArray | None = None
    canary_exposure: FloatArray | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)  # 22 fields: built by name only, never by position
class MetricVerdict:
    name: str
    label: str
    kind: str
    classification: Classification
    failed: bool  # a bad-direction change, or missing data where data is required
    critical: bool
    muted: bool
    group: str
    weight: float
    n_control: int
    n_canary: int
    control_value: float | None  # median (continuous) or rate (count)
    canary_value: float | None
    statistic: float | None  # U of the deciding test, or the canary's events
    p_value: float | None
    p_exact: bool  # False: p is a proven lower bound (the screen ruled the test out)
    estimate: float | None  # Hodges–Lehmann shift, or the rate ratio
    interval: tuple[float, float] | None
    threshold: float | None  # the tolerance the change had to exceed (units, or allowed ratio)
    effect: dict[str, float] = field(default_factory=dict)
    method: str = ""
    sentence: str = ""


@dataclass(frozen=True)
class GroupScore:
    name: str
    score: float | None  # None: no scored metric in the group
    passed: float
    scored: float


@dataclass(frozen=True)
class CanaryJudgement:
    outcome: Outcome
    score: float
    groups: list[GroupScore]
    verdicts: list[MetricVerdict]
    reasons: list[str]
    sentence: str
