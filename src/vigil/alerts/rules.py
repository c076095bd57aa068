"""Alert rule evaluation: pure functions over metric series, no store and no clock.

The condition is computed for every sample in one numpy pass; a small state machine then walks the
samples in order so ``for`` durations and no-data gaps are honoured at the exact sample times, however
long the span evaluated at once (a simulated clock may hand over 24 hours in one call).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from vigil.metrics.base import Series
from vigil.plan.alerting import AlertRule

_OPS: dict[str, Callable[[npt.NDArray[np.float64], float], npt.NDArray[np.bool_]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}

TransitionKind = Literal["fire", "resolve", "nodata_fire", "nodata_resolve"]


@dataclass(frozen=True)
class Transition:
    kind: TransitionKind
    at: float  # epoch seconds
    value: float | None


@dataclass(frozen=True)
class RuleRun:
    """What carries over between evaluations of one rule."""

    pending_since: float | None = None  # start of the current run of true samples
    firing: bool = False
    nodata_firing: bool = False
    last_sample_at: float | None = None


def observed(rule: AlertRule, new: Series, baseline: Series | float | None) -> Series:
    """The quantity the rule compares: the value, % change against baseline, or change per hour."""
    new = new.finite()
    if rule.condition == "threshold" or len(new) == 0:
        return new
    if rule.condition == "relative":
        base = _baseline_at(new.timestamps, baseline)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = np.where(base != 0, (new.values - base) / np.abs(base) * 100.0, np.nan)
        return Series(new.timestamps, change)
    span = rule.window.total_seconds()
    earlier = new.timestamps - span
    known = earlier >= new.timestamps[0]
    before = np.interp(earlier, new.timestamps, new.values)
    rate = np.where(known, (new.values - before) / (span / 3600.0), np.nan)
    return Series(new.timestamps, rate)


def _baseline_at(ts: npt.NDArray[np.float64], baseline: Series | float | None) -> npt.NDArray[np.float64]:
    if baseline is None:
        return np.full(ts.size, np.nan)
    if isinstance(baseline, float | int):
        return np.full(ts.size, float(baseline))
    base = baseline.finite()
    if len(base) == 0:
        return np.full(ts.size, np.nan)
    # Concurrent cohorts share sample times; interpolation also covers a source with other steps.
    return np.interp(ts, base.timestamps, base.values)


def evaluate(
    rule: AlertRule, series: Series, run: RuleRun, since: float, until: float
) -> tuple[list[Transition], RuleRun]:
    """Walk the samples in ``(since, until]`` and return the alert transitions with the carried state.

    A NaN sample (no baseline to compare with) is a sample whose condition is false; a gap longer than
    ``no_data_after`` between samples (or before ``until``) is "no data", handled by the rule's policy.
    """
    keep = (series.timestamps > since) & (series.timestamps <= until)
    ts, values = series.timestamps[keep], series.values[keep]
    with np.errstate(invalid="ignore"):
        hits = _OPS[rule.op](values, rule.value) & np.isfinite(values)
    hold, gap = rule.for_.total_seconds(), rule.no_data_after.total_seconds()
    out: list[Transition] = []
    state = run
    last = run.last_sample_at if run.last_sample_at is not None else since
    for t, value, hit in zip(ts.tolist(), values.tolist(), hits.tolist(), strict=True):
        if t - last > gap:
            state = _no_data(rule, state, last + gap, out)
        if state.nodata_firing:
            out.append(Transition("nodata_resolve", t, None))
            state = replace(state, nodata_firing=False)
        state = _sample(state, t, value if np.isfinite(value) else None, bool(hit), hold, out)
        last = t
    if until - last > gap:
        state = _no_data(rule, state, last + gap, out)
    return out, replace(state, last_sample_at=last)


def _sample(
    state: RuleRun, t: float, value: float | None, hit: bool, hold: float, out: list[Transition]
) -> RuleRun:
    if not hit:
        if state.firing:
            out.append(Transition("resolve", t, value))
        return replace(state, pending_since=None, firing=False)
    start = state.pending_since if state.pending_since is not None else t
    if not state.firing and t - start >= hold:
        out.append(Transition("fire", t, value))
        return replace(state, pending_since=start, firing=True)
    return replace(state, pending_since=start)


def _no_data(rule: AlertRule, state: RuleRun, at: float, out: list[Transition]) -> RuleRun:
    if rule.no_data == "keep" or state.nodata_firing:
        return state
    if state.firing:
        out.append(Transition("resolve", at, None))
    state = replace(state, pending_since=None, firing=False)
    if rule.no_data == "alerting":
        out.append(Transition("nodata_fire", at, None))
        state = replace(state, nodata_firing=True)
    return state
