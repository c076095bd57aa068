"""The rank statistics Kayenta's judge uses: R's asymptotic ``wilcox.test`` interval, and the CLES.

Kayenta (kayenta-mannwhitney) inverts the continuity-corrected, tie-corrected rank statistic of
``experiment − d`` against ``control`` for d, exactly as R's ``wilcox.test(x, y, conf.int=TRUE)`` does,
and finds the roots with Brent's ``zeroin`` at R's ``uniroot`` tolerance (1e-4). The statistic is a step
function of d, so the root returned depends on the solver's iterates; to return the same numbers as
Kayenta and R (their tests agree to 1e-6), the solver here follows the same classic algorithm
(Brent 1973, as in Netlib's ``zeroin``) step for step rather than calling scipy's ``brentq``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special, stats

from vigil.analysis.models import FloatArray

_EPS = float(np.finfo(np.float64).eps)
_TOL = 1e-4  # R's uniroot tolerance, which Kayenta's solver copies
_MAXIT = 1000


class TiedObservations(ArithmeticError):
    """Every observation is tied at this shift: the rank statistic has no spread."""


def z_quantile(confidence: float) -> float:
    """The lower normal quantile at (1 − confidence)/2 (negative), as Kayenta's ``zQuant``."""
    return float(special.ndtri((1.0 - confidence) / 2.0))


def wilcoxon_diff(mu: float, quantile: float, experiment: FloatArray, control: FloatArray) -> float:
    """R's ``wdiff``: the standardised rank statistic of experiment − mu against control, minus quantile."""
    n_x, n_y = float(experiment.size), float(control.size)
    combined = np.concatenate([experiment - mu, control])
    ranks = stats.rankdata(combined)
    _, ties = np.unique(ranks, return_counts=True)
    dz = float(ranks[: experiment.size].sum()) - n_x * (n_x + 1) / 2 - n_x * n_y / 2
    correction = float(np.sign(dz)) * 0.5  # correct=TRUE, two-sided
    tie_term = float(np.sum(ties.astype(np.float64) ** 3 - ties)) / ((n_x + n_y) * (n_x + n_y - 1))
    sigma = float(np.sqrt((n_x * n_y / 12) * ((n_x + n_y + 1) - tie_term)))
    if sigma == 0:
        raise TiedObservations("cannot compute confidence interval when all observations are tied")
    return (dz - correction) / sigma - quantile


def zeroin(a: float, b: float, fa: float, fb: float, f: Callable[[float], float], tol: float = _TOL) -> float:
    """Brent's root finder (bisection, secant and inverse quadratic steps), R's ``zeroin`` semantics."""
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    c, fc = a, fa
    for _ in range(_MAXIT + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):  # keep b the best approximation
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * _EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            p, q = _interpolation_step(a, b, c, fa, fb, fc)
            if p < 0.75 * (c - b) * q - abs(tol_act * q) / 2 and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


def _interpolation_step(a: float, b: float, c: float, fa: float, fb: float, fc: float) -> tuple[float, float]:
    """The step p/q towards the root: secant with two distinct points, inverse quadratic with three."""
    cb = c - b
    if a == c:
        t1 = fb / fa
        p, q = cb * t1, 1.0 - t1
    else:
        q, t1, t2 = fa / fc, fb / fc, fb / fa
        p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
        q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
    return (p, -q) if p > 0 else (-p, q)


def shift_interval(experiment: FloatArray, control: FloatArray, confidence: float) -> tuple[float, float, float]:
    """(lower, upper, estimate) of the shift experiment − control, as Kayenta's ``MannWhitney.eval``."""
    mu_min = float(experiment.min() - control.max())
    mu_max = float(experiment.max() - control.min())

    def root(quantile: float) -> float:
        f_lower = wilcoxon_diff(mu_min, quantile, experiment, control)
        f_upper = wilcoxon_diff(mu_max, quantile, experiment, control)
        if f_lower <= 0:
            return mu_min
        if f_upper >= 0:
            return mu_max
        return zeroin(mu_min, mu_max, f_lower, f_upper, lambda d: wilcoxon_diff(d, quantile, experiment, control))

    z = z_quantile(confidence)
    lower, upper = root(-z), root(z)
    # The estimate has no endpoint shortcut in Kayenta: the solver starts from both ends directly.
    f_lower = wilcoxon_diff(mu_min, 0.0, experiment, control)
    f_upper = wilcoxon_diff(mu_max, 0.0, experiment, control)
    estimate = zeroin(mu_min, mu_max, f_lower, f_upper, lambda d: wilcoxon_diff(d, 0.0, experiment, control))
    return lower, upper, estimate


def cles(control: FloatArray, experiment: FloatArray) -> float:
    """Common-language effect size: P(experiment > control) + ½·P(tie), from the rank sum (Vargha–Delaney)."""
    m, n = experiment.size, control.size
    ranks = stats.rankdata(np.concatenate([experiment, control]))
    return float((2 * ranks[:m].sum() - m * (m + 1)) / (2 * n * m))


def mean_ratio(control: FloatArray, experiment: FloatArray) -> float:
    """Experiment mean / control mean; NaN when either mean is zero (Kayenta: the effect is then ignored)."""
    control_mean, experiment_mean = float(np.mean(control)), float(np.mean(experiment))
    if control_mean == 0.0 or experiment_mean == 0.0:
        return float("nan")
    return experiment_mean / control_mean
