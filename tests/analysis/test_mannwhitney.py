"""The vectorised rank tests give scipy's figures to the last bit, and the screen never changes a verdict."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from vigil.analysis.mannwhitney import hodges_lehmann_grid, shift_tests

ALPHA = 0.02


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = draw(st.integers(1, 6))
    n = draw(st.integers(9, 60))
    m = draw(st.integers(9, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    style = draw(st.sampled_from(["continuous", "integers", "levels", "signed", "constant"]))
    rng = np.random.default_rng(seed)
    shift = draw(st.floats(-3, 3))
    x = rng.normal(10, 2, (rows, n))
    y = rng.normal(10 + shift, 2, (rows, m))
    if style == "integers":
        x, y = np.round(x), np.round(y)
    elif style == "levels":
        x, y = rng.integers(0, 3, (rows, n)).astype(float), rng.integers(0, 3, (rows, m)).astype(float)
    elif style == "signed":
        x, y = (x - 10) * 1e3, (y - 10) * 1e3
    elif style == "constant":
        x, y = np.full((rows, n), 5.0), np.full((rows, m), 5.0)
    rel = np.full(rows, draw(st.sampled_from([0.0, 0.05, 0.1, 0.3])))
    absolute = np.full(rows, draw(st.sampled_from([0.0, 0.5, 1.0])))
    return x, y, rel, absolute


def _scipy(x: np.ndarray, y: np.ndarray, t: float) -> tuple[float, float]:
    up = stats.mannwhitneyu(y - t, x, alternative="greater", method="asymptotic").pvalue
    down = stats.mannwhitneyu(y + t, x, alternative="less", method="asymptotic").pvalue
    return float(up), float(down)


@settings(max_examples=120, deadline=None)
@given(cohorts())
def test_p_values_equal_scipy_bit_for_bit(data: tuple[np.ndarray, ...]) -> None:
    x, y, rel, absolute = data
    tests = shift_tests(x, y, rel, absolute, ALPHA, 0.98, screen_rows=False)
    for i in range(x.shape[0]):
        t = rel[i] * abs(np.median(x[i])) + absolute[i]
        assert tests.threshold[i] == t
        up, down = _scipy(x[i], y[i], t)
        assert (tests.p_up[i], tests.p_down[i]) == (up, down) or (np.isnan(up) and np.isnan(tests.p_up[i]))


@settings(max_examples=120, deadline=None)
@given(cohorts())
def test_screen_never_changes_a_verdict(data: tuple[np.ndarray, ...]) -> None:
    x, y, rel, absolute = data
    exact = shift_tests(x, y, rel, absolute, ALPHA, 0.98, screen_rows=False)
    fast = shift_tests(x, y, rel, absolute, ALPHA, 0.98, screen_rows=True)
    assert np.array_equal(exact.p_up < ALPHA, fast.p_up < ALPHA)
    assert np.array_equal(exact.p_down < ALPHA, fast.p_down < ALPHA)
    # Where the screen decided, its p is a true lower bound of the exact p.
    assert np.all(fast.p_up[~fast.exact_up] <= exact.p_up[~fast.exact_up])
    assert np.all(fast.p_down[~fast.exact_down] <= exact.p_down[~fast.exact_down])


def test_wide_key_range_rows_take_the_fallback_and_still_match() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1e300, (2, 40))
    y = rng.normal(1e299, 1e300, (2, 40))
    tests = shift_tests(x, y, np.zeros(2), np.zeros(2), ALPHA, 0.98, screen_rows=False)
    for i in range(2):
        assert (tests.p_up[i], tests.p_down[i]) == _scipy(x[i], y[i], 0.0)


def test_hodges_lehmann_grid_is_close_to_the_exact_estimate() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(0, 1, 400), rng.normal(0.7, 1, 400)
    est, low, high = hodges_lehmann_grid(np.sort(x)[None], np.sort(y)[None], 0.95)
    diffs = np.sort((y[:, None] - x[None, :]).ravel())
    assert abs(est[0] - np.median(diffs)) < 0.05
    assert low[0] < np.median(diffs) < high[0]
    assert high[0] - low[0] < 0.5
