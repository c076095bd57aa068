"""Alert rule evaluation: pure functions over metric series, no store and no clock.

The condition is computed for every sample in one numpy pass; a small state machine then walks the
samples in order so ``for`` durations and no-data gaps are honoured at the exact sample times, however
long the span evaluated at once (a simulated clock may hand over 24 hours in one call).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from vigil.analysis.anomaly import score_series
from vigil.analysis.sensitivity import settings_for
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
    """The quantity the rule compares: the value, % change against baseline, change per hour, or the
    anomaly score (the detector runs over every sample given, so samples before the evaluated span, which
    the caller fetches for ``window``, are what it learns from)."""
    new = new.finite()
    if rule.condition == "threshold" or len(new) == 0:
        return new
    if rule.condition == "anomaly":
        return Series(new.timestamps, score_series(new.values, settings_for(rule.sensitivity)))
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
    """Return the alert transitions for the samples in ``(since, until]`` and the state to carry on.

    A NaN sample (no baseline to compare with) is a sample whose condition is false; a gap longer than
    ``no_data_after`` between samples (or before ``until``) is "no data", handled by the rule's policy.
    Work is per run of true samples, not per sample: gaps and runs are found with numpy.
    """
    keep = (series.timestamps > since) & (series.timestamps <= until)
    ts, values = series.timestamps[keep], series.values[keep]
    with np.errstate(invalid="ignore"):
        hits = _OPS[rule.op](values, rule.value) & np.isfinite(values)
    gap = rule.no_data_after.total_seconds()
    last = run.last_sample_at if run.last_sample_at is not None else since
    state = _State(rule, run)
    if ts.size:
        previous = np.concatenate(([last], ts[:-1]))
        breaks = [] if rule.no_data == "keep" else np.flatnonzero(ts - previous > gap).tolist()
        edges = sorted({0, *breaks, ts.size})
        for a, b in itertools.pairwise(edges):
            if a in breaks:
                state.no_data(float(previous[a]) + gap)
            state.data_back(float(ts[a]))
            state.walk(ts[a:b], values[a:b], hits[a:b])
        last = float(ts[-1])
    if until - last > gap:
        state.no_data(last + gap)
    return state.out, RuleRun(state.pending, state.firing, state.nodata, last)


class _State:
    """The mutable walk over one evaluation span (plain attributes: this is the hot path)."""

    def __init__(self, rule: AlertRule, run: RuleRun) -> None:
        self.rule, self.hold = rule, rule.for_.total_seconds()
        self.pending, self.firing, self.nodata = run.pending_since, run.firing, run.nodata_firing
        self.out: list[Transition] = []

    def no_data(self, at: float) -> None:
        if self.rule.no_data == "keep" or self.nodata:
            return
        if self.firing:
            self.out.append(Transition("resolve", at, None))
        self.pending, self.firing = None, False
        if self.rule.no_data == "alerting":
            self.out.append(Transition("nodata_fire", at, None))
            self.nodata = True

    def data_back(self, at: float) -> None:
        if self.nodata:
            self.out.append(Transition("nodata_resolve", at, None))
            self.nodata = False

    def walk(self, t: npt.NDArray[np.float64], v: npt.NDArray[np.float64], h: npt.NDArray[np.bool_]) -> None:
        starts = np.flatnonzero(h & ~np.concatenate(([False], h[:-1])))
        ends = np.flatnonzero(h & ~np.concatenate((h[1:], [False])))
        pos = 0
        for first, final in zip(starts.tolist(), ends.tolist(), strict=True):
            if first > pos:
                self._clear(t, v, pos)
            begun = self.pending if (first == 0 and self.pending is not None) else float(t[first])
            self.pending = begun
            if not self.firing:
                k = first + int(np.searchsorted(t[first : final + 1], begun + self.hold, side="left"))
                if k <= final:
                    self.out.append(Transition("fire", float(t[k]), float(v[k])))
                    self.firing = True
            pos = final + 1
        if pos < t.size:
            self._clear(t, v, pos)

    def _clear(self, t: npt.NDArray[np.float64], v: npt.NDArray[np.float64], at: int) -> None:
        """Sample ``at`` is false: a firing alert resolves there, and any pending run ends."""
        if self.firing:
            value = float(v[at])
            self.out.append(Transition("resolve", float(t[at]), value if np.isfinite(value) else None))
        self.pending, self.firing = None, False
