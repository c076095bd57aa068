"""The Kayenta-compatible mode's configuration and verdict types (NetflixACAJudge's vocabulary)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class KClass(StrEnum):
    PASS = "Pass"
    HIGH = "High"
    LOW = "Low"
    NODATA = "Nodata"
    NODATA_FAIL = "NodataFailMetric"
    ERROR = "Error"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EffectSize(_Strict):
    measure: Literal["meanRatio", "cles"] = "meanRatio"
    # None: Kayenta's default for the measure (1.0 for meanRatio, 0.5 for cles — "no change" on each scale)
    allowed_increase: float | None = None
    allowed_decrease: float | None = None
    critical_increase: float = 1.0
    critical_decrease: float = 1.0

    def thresholds(self) -> tuple[float, float]:
        """(allowed decrease, allowed increase) with the measure's default filled in."""
        neutral = 0.5 if self.measure == "cles" else 1.0
        decrease = self.allowed_decrease if self.allowed_decrease is not None else neutral
        increase = self.allowed_increase if self.allowed_increase is not None else neutral
        return decrease, increase


class KayentaMetric(_Strict):
    name: str = Field(min_length=1)
    groups: list[str] = Field(default_factory=lambda: ["default"])
    direction: Literal["increase", "decrease", "either"] = "either"
    nan_strategy: Literal["remove", "replace"] = "remove"
    critical: bool = False
    must_have_data: bool = False
    muted: bool = False
    effect_size: EffectSize = EffectSize()
    outliers: Literal["keep", "remove"] = "keep"
    outlier_factor: float = Field(default=3.0, gt=0)


class KayentaConfig(_Strict):
    metrics: list[KayentaMetric] = Field(min_length=1)
    group_weights: dict[str, float] = Field(default_factory=dict)
    confidence: float = Field(default=0.98, gt=0.5, lt=1)
    tolerance: float = Field(default=0.25, ge=0)
    pass_threshold: float = 95.0
    marginal_threshold: float = 75.0

    @model_validator(mode="after")
    def _unique_names(self) -> KayentaConfig:
        # Kayenta finds a metric's config by name; two with one name would silently judge one of them twice.
        names = [m.name for m in self.metrics]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"metric names must be unique; repeated: {', '.join(repeated)}")
        return self


@dataclass(frozen=True)
class KayentaVerdict:
    name: str
    classification: KClass
    critical: bool  # a critical failure: this verdict alone fails the canary (Kayenta's result.critical)
    muted: bool
    groups: tuple[str, ...]
    n_control: int
    n_experiment: int
    estimate: float | None
    interval: tuple[float, float] | None
    bounds: tuple[float, float] | None  # the allowed range ±tolerance·|estimate|
    deviation: float  # Kayenta's resultMetadata.ratio: the mean ratio (NaN when a mean is zero)
    effect_size: float | None  # the measure the thresholds are applied to
    reason: str
