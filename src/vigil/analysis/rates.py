"""Count metrics compared as rates: errors over requests, restarts over time — vectorised, exact tests.

A rank test on per-interval error counts fails exactly where it matters: a baseline with zero errors and a
canary with three is a column of zeros against a column of mostly zeros, which ranks as "no difference".
Counts are events over an exposure, so the comparison is between two Poisson rates. Conditioning on the
total number of events N makes the canary's share binomial, π = r·t₁ / (r·t₁ + t₀) when the rates differ
by the factor r, so every hypothesis about the ratio is an exact binomial test:

* worse ("high"): reject λ₁ ≤ (1+tol)·λ₀ — P(X ≥ e₁ | N, π₊) < α;
* better ("low"): reject λ₁ ≥ λ₀/(1+tol) — P(X ≤ e₁ | N, π₋) < α;
* otherwise the one-sided Clopper–Pearson bound on π gives the largest plausible ratio; a pass needs it to
  stay under ``max_plausible_ratio`` ("a doubling is ruled out"), else the evidence is insufficient.

A zero baseline needs no special case: with e₀ = 0 the high test's p is π₊^e₁ and the ratio's upper bound
is infinite, so a few canary errors are "insufficient" (or "high" once they are many), never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from vigil.analysis.models import FloatArray


@dataclass(frozen=True)
class RateTests:
    p_high: FloatArray
    p_low: FloatArray
    ratio: FloatArray  # canary rate / control rate (inf with a zero baseline, nan with no events)
    ratio_low: FloatArray  # (1−α) one-sided bounds of the ratio
    ratio_high: FloatArray


def rate_tests(
    events_control: FloatArray,
    exposure_control: FloatArray,
    events_canary: FloatArray,
    exposure_canary: FloatArray,
    tolerance: FloatArray,
    alpha: float,
) -> RateTests:
    """Exact conditional tests of the canary's event rate against the control's, one per row."""
    e0 = np.round(events_control)
    e1 = np.round(events_canary)
    t0, t1 = exposure_control, exposure_canary
    total = e0 + e1
    up = 1.0 + tolerance
    pi_high = up * t1 / (up * t1 + t0)
    pi_low = (t1 / up) / (t1 / up + t0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_high = np.where(total > 0, stats.binom.sf(e1 - 1, total, pi_high), 1.0)
        p_low = np.where(total > 0, stats.binom.cdf(e1, total, pi_low), 1.0)
        # Clopper–Pearson one-sided bounds of the canary's share π, turned into rate ratios.
        share_hi = np.where(e1 < total, stats.beta.ppf(1 - alpha, e1 + 1, total - e1), 1.0)
        share_lo = np.where(e1 > 0, stats.beta.ppf(alpha, e1, total - e1 + 1), 0.0)
        scale = t0 / t1
        ratio = np.where(total > 0, (e1 / t1) / (e0 / t0), np.nan)
        ratio_high = np.where(total > 0, share_hi / (1 - share_hi) * scale, np.nan)
        ratio_low = np.where(total > 0, share_lo / (1 - share_lo) * scale, np.nan)
    return RateTests(p_high, p_low, ratio, ratio_low, ratio_high)
