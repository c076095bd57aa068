"""Mann–Whitney U for many metrics at once: exact U, tie correction and p-values, row by row in one pass.

Every row is one metric: ``control`` (n values) against ``canary`` (m values). The figures are the ones
``scipy.stats.mannwhitneyu(canary - shift, control, alternative="greater", method="asymptotic")`` returns,
to the last bit: U is a sum of half-integers and the tie term a sum of integers, both exact in float64,
and z and p are computed with scipy's own formula in scipy's order of operations.

Why it is fast: scipy ranks each metric with an argsort of n+m values. Here each cohort is sorted once
(numpy's SIMD sort), the values are mapped to order-preserving int64 keys with the cohort in the lowest
bit, and one stable sort of two pre-sorted runs (a linear merge) gives every row's merged order. U is then
a dot product with the positions, corrected by the cross-cohort ties; no per-metric Python.

A shifted test answers "is the canary worse by more than ``shift``?" (``H0: Δ ≤ shift``), which is the same
as asking whether the lower end of the rank-based confidence interval of the shift lies above ``shift``:
the usual test–interval duality. Judging a tolerance therefore needs one rank pass, not the n·m pairwise
differences of a Hodges–Lehmann interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

Array = npt.NDArray[np.float64]

_LOW63 = np.int64(0x7FFFFFFFFFFFFFFF)
_CHUNK = 64  # rows sorted and screened together: fewer Python steps, still cache-sized
_EXACT_CHUNK = 16  # rows merged together: the int64 merge buffers stay in cache


@dataclass(frozen=True)
class RankTest:
    """One-sided test per row of ``H0: canary − control ≤ shift`` against "greater"."""

    u: Array  # U of the (shifted) canary, as scipy's ``statistic``
    z: Array
    p: Array
    tie_term: Array


def sort_rows(values: Array) -> Array:
    return np.sort(values, axis=1)


def _keys(values: Array) -> npt.NDArray[np.int64]:
    """Order-preserving int64 keys: a < b as floats ⇔ key(a) < key(b); −0.0 and 0.0 share a key."""
    bits = (values + 0.0).view(np.int64)  # + 0.0 turns −0.0 into 0.0, which compare equal
    return bits ^ ((bits >> 63) & _LOW63)


def mwu_z_p(u: Array, tie_term: Array, n: int, m: int) -> tuple[Array, Array]:
    """scipy's asymptotic z and one-sided p (continuity-corrected), in scipy's order of operations."""
    mu = m * n / 2
    total = m + n
    s = np.sqrt(m * n / 12 * ((total + 1) - tie_term / (total * (total - 1))))
    numerator = u - mu
    numerator -= 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        z = numerator / s
    p = np.clip(special.ndtr(-z), 0.0, 1.0)
    return z, p


def rank_test_greater(control_sorted: Array, canary_sorted: Array, shift: Array) -> RankTest:
    """Exact U and tie term of ``canary − shift`` against ``control`` for every row (both sorted)."""
    rows, n = control_sorted.shape
    m = canary_sorted.shape[1]
    u = np.empty(rows)
    ties = np.empty(rows)
    for start in range(0, rows, _EXACT_CHUNK):
        block = slice(start, start + _EXACT_CHUNK)
        shifted = canary_sorted[block] - shift[block, None]
        u[block], ties[block] = _block_u(control_sorted[block], shifted)
    z, p = mwu_z_p(u, ties, n, m)
    return RankTest(u, z, p, ties)


def _block_u(xs: Array, ys: Array) -> tuple[Array, Array]:
    """U of ``ys`` against ``xs`` and the tie term, for a block of rows with sorted values."""
    rows, n = xs.shape
    m = ys.shape[1]
    merged, is_canary = _merge(xs, ys)
    positions = np.arange(n + m, dtype=np.float64)
    # With canary values first in each tie, the controls before a canary value are those strictly below
    # it, and sum(position of canary values) − m(m−1)/2 counts exactly those pairs.
    u = is_canary.astype(np.float64) @ positions - m * (m - 1) / 2
    breaks = np.empty(merged.shape, bool)
    breaks[:, 0] = True
    np.not_equal(merged[:, 1:], merged[:, :-1], out=breaks[:, 1:])
    if breaks.all():
        return u, np.zeros(rows)
    starts = np.flatnonzero(breaks)
    ends = np.append(starts[1:], merged.size)
    runs = (ends - starts).astype(np.float64)
    row_of = starts // (n + m)
    canary_before = np.concatenate(([0], np.cumsum(is_canary.ravel())))
    canary_in = (canary_before[ends] - canary_before[starts]).astype(np.float64)
    control_in = runs - canary_in
    # A tie between a canary and a control value counts one half.
    u += 0.5 * np.bincount(row_of, weights=canary_in * control_in, minlength=rows)
    ties: Array = np.bincount(row_of, weights=runs**3 - runs, minlength=rows).astype(np.float64)
    return u, ties


def _merge(xs: Array, ys: Array) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.bool_]]:
    """Each row's values in merged order (canary before control on ties) and which are the canary's.

    Fast path: unsigned keys relative to the row's smallest, shifted left to carry the cohort in bit 0,
    and one stable sort of two sorted runs (a merge). Rows whose keys span 2^63 or more (values of both
    signs and large magnitudes) take a stable argsort of the values instead; both give the same order.
    """
    m = ys.shape[1]
    kx, ky = _keys(xs), _keys(ys)
    lo = np.minimum(kx[:, :1], ky[:, :1])
    span = np.maximum(kx[:, -1:], ky[:, -1:]).view(np.uint64) - lo.view(np.uint64)
    if np.all(span < np.uint64(1) << np.uint64(63)):
        merged = np.empty((xs.shape[0], xs.shape[1] + m), np.uint64)
        np.subtract(ky.view(np.uint64), lo.view(np.uint64), out=merged[:, :m])
        np.subtract(kx.view(np.uint64), lo.view(np.uint64), out=merged[:, m:])
        merged <<= np.uint64(1)
        merged[:, m:] |= np.uint64(1)
        merged.sort(axis=1, kind="stable")
        is_canary = (merged & np.uint64(1)) == 0
        merged >>= np.uint64(1)
        return merged, is_canary
    values = np.concatenate([ys, xs], axis=1) + 0.0
    order = np.argsort(values, axis=1, kind="stable")
    return np.take_along_axis(values, order, axis=1), order < m


def _edges(width: int, blocks: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    count = min(blocks, width)
    starts = (np.arange(count) * width) // count
    return starts, np.append(starts[1:], width) - 1


def _oriented(sorted_rows: Array, index: npt.NDArray[np.intp], sign: float) -> Array:
    """Values at ``index`` of the row as the test sees it: as is, or negated and reversed (sign −1)."""
    if sign > 0:
        return sorted_rows[:, index]
    return -sorted_rows[:, sorted_rows.shape[1] - 1 - index]


def _longest_run_bound(first: Array, last: Array, size: int, width: int) -> Array:
    """An upper bound of the longest run of equal values, from each block's first and last value.

    Blocks lying inside a run are constant (first == last), and a run touches at most two more blocks,
    so a run is at most (longest chain of constant blocks + 2) · block size long.
    """
    constant = first == last
    count = np.cumsum(constant, axis=1)
    # Length of the current chain = count − count at the last non-constant block (a running maximum).
    reset = np.maximum.accumulate(np.where(constant, 0, count), axis=1)
    longest = (count - reset).max(axis=1).astype(np.float64)
    return np.minimum((longest + 2) * size, width)


def screen(
    xs: Array, ys: Array, shift: Array, sign: float, alpha: float, blocks: int = 40
) -> tuple[npt.NDArray[np.bool_], Array]:
    """Rows where the tolerance test might reject at ``alpha``, and a proven lower bound of each p.

    Works on 2·``blocks`` sampled order statistics per cohort, never on the full rows:

    * U is bounded above from block extremes: every canary value in a block is at most the block's
      maximum and every control value at least its block's minimum, so a block pair with
      ``max(canary) > min(control)`` holds at most all its pairs, one with equality at most ties (½ each),
      and no others count;
    * the merged tie term is at most 4·(Σa³ + Σb³) − (n+m) — a merged group of a control and b canary
      values adds (a+b)³ − (a+b) ≤ 4(a³+b³) − (a+b) — with Σt³ ≤ (longest run)²·width, and at least 0.

    With a positive numerator z grows with the tie term, with a negative one it shrinks, so the smaller p
    of the two tie extremes at the largest U bounds the exact p from below.
    """
    n, m = xs.shape[1], ys.shape[1]
    x_starts, x_ends = _edges(n, blocks)
    y_starts, y_ends = _edges(m, blocks)
    x_first, x_last = _oriented(xs, x_starts, sign), _oriented(xs, x_ends, sign)
    y_first = _oriented(ys, y_starts, sign) - shift[:, None]
    y_last = _oriented(ys, y_ends, sign) - shift[:, None]
    x_cum = np.append(0, x_ends + 1).astype(np.float64)  # controls in the first k blocks
    y_sizes = (y_ends - y_starts + 1).astype(np.float64)
    above = (y_last[:, :, None] > x_first[:, None, :]).sum(axis=2)
    reach = (y_last[:, :, None] >= x_first[:, None, :]).sum(axis=2)
    u_max = (x_cum[above] + 0.5 * (x_cum[reach] - x_cum[above])) @ y_sizes
    run_x = _longest_run_bound(x_first, x_last, int((x_ends - x_starts).max()) + 1, n)
    run_y = _longest_run_bound(y_first, y_last, int(y_sizes.max()), m)
    total = float(n + m)
    ties = np.minimum(4 * (run_x**2 * n + run_y**2 * m) - total, total**3 - total)
    _, p_ties = mwu_z_p(u_max, ties, n, m)
    _, p_plain = mwu_z_p(u_max, np.zeros_like(ties), n, m)
    p_min = np.minimum(p_ties, p_plain)
    return ~(p_min >= alpha), p_min


def hodges_lehmann_grid(
    control_sorted: Array, canary_sorted: Array, confidence: float, points: int = 32
) -> tuple[Array, Array, Array]:
    """Hodges–Lehmann shift and its rank-based interval, approximated on a quantile grid.

    The exact estimator is the median of all n·m pairwise differences (33 million per metric at 5,760
    points); here each cohort is summarised by ``points`` equally spaced order statistics and the
    estimate and interval are read from the points² differences at the ranks the normal approximation
    of U puts the interval ends (k = nm/2 ∓ z·sqrt(nm(n+m+1)/12)). It is reported, not judged: verdicts
    come from the exact rank test above.
    """
    n, m = control_sorted.shape[1], canary_sorted.shape[1]
    qx = control_sorted[:, np.linspace(0, n - 1, min(points, n)).round().astype(int)]
    qy = canary_sorted[:, np.linspace(0, m - 1, min(points, m)).round().astype(int)]
    diffs = np.sort((qy[:, :, None] - qx[:, None, :]).reshape(len(qx), -1), axis=1)
    z = special.ndtri(0.5 + confidence / 2)
    half = z * np.sqrt((n + m + 1) / (12.0 * n * m))  # half-width of the interval as a share of the pairs
    width = diffs.shape[1] - 1
    at = np.clip(np.round(np.array([0.5 - half, 0.5, 0.5 + half]) * width).astype(int), 0, width)
    return diffs[:, at[1]], diffs[:, at[0]], diffs[:, at[2]]


@dataclass(frozen=True)
class ShiftTests:
    """Both one-sided tolerance tests for every row, and the descriptive numbers read while sorted.

    ``p_up`` answers "canary above control by more than ``up``", ``p_down`` "below by more than
    ``down``". A row the screen rules out has ``exact_*`` False: its p is then a proven lower bound
    (the exact p is at least that), which is all a verdict of "not significant" needs.
    """

    u_up: Array
    p_up: Array
    exact_up: npt.NDArray[np.bool_]
    u_down: Array
    p_down: Array
    exact_down: npt.NDArray[np.bool_]
    control_median: Array
    canary_median: Array
    control_mean: Array
    canary_mean: Array
    shift: Array  # Hodges–Lehmann shift (grid approximation)
    shift_low: Array
    shift_high: Array
    cles: Array  # P(canary > control) + ½·P(tie), on the same quantile grid
    threshold: Array  # the tolerance each row was tested against


def shift_tests(
    control: Array,
    canary: Array,
    relative: Array,
    absolute: Array,
    alpha: float,
    confidence: float,
    screen_rows: bool = True,
) -> ShiftTests:
    """Run both tolerance tests on every row of ``control`` (rows × n) and ``canary`` (rows × m).

    The tolerance of a row is ``relative · |median(control)| + absolute``, in both directions.

    The "down" test is the "up" test on negated values: ``mannwhitneyu(canary + d, control, "less")``
    uses U2 = #(canary + d < control) + ½·ties, which is U1 of ``(−canary) − d`` against ``−control``
    (negation is exact in floating point), so both share one implementation and one sort.
    """
    rows = control.shape[0]
    out = {
        name: np.full(rows, np.nan)
        for name in (
            "u_up",
            "p_up",
            "u_down",
            "p_down",
            "control_median",
            "canary_median",
            "control_mean",
            "canary_mean",
            "shift",
            "shift_low",
            "shift_high",
            "cles",
            "threshold",
        )
    }
    exact_up, exact_down = np.zeros(rows, bool), np.zeros(rows, bool)
    pending: dict[str, list[tuple[npt.NDArray[np.intp], Array, Array]]] = {"u_up": [], "u_down": []}
    for start in range(0, rows, _CHUNK):
        block = slice(start, start + _CHUNK)
        xs, ys = np.sort(control[block], axis=1), np.sort(canary[block], axis=1)
        out["control_median"][block], out["canary_median"][block] = _median(xs), _median(ys)
        shift = relative[block] * np.abs(out["control_median"][block]) + absolute[block]
        out["threshold"][block] = shift
        for sign, u_key, p_key, exact in (
            (1.0, "u_up", "p_up", exact_up),
            (-1.0, "u_down", "p_down", exact_down),
        ):
            todo = np.ones(xs.shape[0], bool)
            if screen_rows:
                todo, p_min = screen(xs, ys, shift, sign, alpha)
                out[p_key][block] = p_min
            if todo.any():  # queued: exact tests run in full blocks after the loop
                cx = xs[todo] if sign > 0 else -xs[todo, ::-1]
                cy = ys[todo] if sign > 0 else -ys[todo, ::-1]
                pending[u_key].append((start + np.flatnonzero(todo), cx, cy - shift[todo, None]))
                if not screen_rows:  # every row is exact: no point in queueing copies
                    _exact_tests(pending.pop(u_key), out[u_key], out[p_key])
                    pending[u_key] = []
            exact[block] = todo
        out["control_mean"][block] = xs @ np.full(xs.shape[1], 1.0 / xs.shape[1])
        out["canary_mean"][block] = ys @ np.full(ys.shape[1], 1.0 / ys.shape[1])
        est, low, high = hodges_lehmann_grid(xs, ys, confidence)
        out["cles"][block] = _grid_cles(xs, ys)
        out["shift"][block], out["shift_low"][block], out["shift_high"][block] = est, low, high
    for u_key, p_key in (("u_up", "p_up"), ("u_down", "p_down")):
        _exact_tests(pending[u_key], out[u_key], out[p_key])
    return ShiftTests(exact_up=exact_up, exact_down=exact_down, **out)


def _exact_tests(queue: list[tuple[npt.NDArray[np.intp], Array, Array]], u_out: Array, p_out: Array) -> None:
    """Exact U and p for the queued rows, merged in full blocks (few rows per chunk survive the screen)."""
    if not queue:
        return
    index = np.concatenate([q[0] for q in queue])
    cx = np.concatenate([q[1] for q in queue])
    cy = np.concatenate([q[2] for q in queue])
    for start in range(0, index.size, _EXACT_CHUNK):
        block = slice(start, start + _EXACT_CHUNK)
        u, ties = _block_u(cx[block], cy[block])
        _, p = mwu_z_p(u, ties, cx.shape[1], cy.shape[1])
        u_out[index[block]] = u
        p_out[index[block]] = p


def _median(sorted_rows: Array) -> Array:
    width = sorted_rows.shape[1]
    half = width // 2
    if width % 2:
        return sorted_rows[:, half].copy()
    return (sorted_rows[:, half - 1] + sorted_rows[:, half]) / 2


def _grid_cles(xs: Array, ys: Array, points: int = 32) -> Array:
    """Common-language effect size, P(canary > control) + ½·P(tie), on a grid of order statistics."""
    qx = xs[:, np.linspace(0, xs.shape[1] - 1, min(points, xs.shape[1])).round().astype(int)]
    qy = ys[:, np.linspace(0, ys.shape[1] - 1, min(points, ys.shape[1])).round().astype(int)]
    greater = (qy[:, :, None] > qx[:, None, :]).mean(axis=(1, 2))
    equal = (qy[:, :, None] == qx[:, None, :]).mean(axis=(1, 2))
    return greater + 0.5 * equal
