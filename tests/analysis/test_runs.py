"""The longest-run view: a metric that stops changing for longer than it ever has alarms once."""

from __future__ import annotations

import math

import numpy as np

from vigil.analysis.anomaly import DetectorSettings, score_series
from vigil.analysis.runs import LongestRun, RunSettings

THRESHOLD = 0.9992  # what NAB's optimiser chose; every view's alarm scores above it


def _bursts(rng: np.random.Generator, gaps: list[int]) -> list[float]:
    """Bursts of five busy values, each followed by a gap of zeros of the given length."""
    values: list[float] = []
    for gap in gaps:
        values += list(rng.uniform(1e5, 5e5, 5)) + [0.0] * gap
    return values


def _alarms(values: list[float], settings: RunSettings | None = None) -> list[int]:
    view = LongestRun(settings)
    return [i for i, v in enumerate(values) if view.update(v)]


def test_a_silence_longer_than_any_before_alarms_once_just_past_the_margin() -> None:
    rng = np.random.default_rng(1)
    gaps = [int(g) for g in rng.integers(10, 51, 40)]
    values = _bursts(rng, gaps) + list(rng.uniform(1e5, 5e5, 5))
    start = len(values)
    values += [0.0] * 300  # the bursts stop
    # The run of zeros alarms on the value that makes it more than 10 % longer than the longest gap.
    assert _alarms(values) == [start + math.floor(max(gaps) * 1.1)]


def test_a_constant_stream_and_a_live_float_stream_never_alarm() -> None:
    rng = np.random.default_rng(2)
    assert _alarms([7.0] * 3000) == []  # no run has ever ended: nothing to compare with
    assert _alarms(list(rng.normal(50, 5, 3000))) == []


def test_no_alarm_before_enough_values_and_again_on_a_later_record() -> None:
    values = (([1.0] + [0.0] * 20) * 10  # 210 values, runs of 20 zeros
              + [1.0] + [0.0] * 40  # from index 211: a record over 20 at its 23rd zero (index 233)
              + [1.0] + [0.0] * 100)  # from index 252: a record over 40 at its 45th zero (index 296)
    assert _alarms(values, RunSettings(after=0)) == [233, 296]
    assert _alarms(values, RunSettings(after=260)) == [296]  # the first record ended before it could alarm
    assert _alarms(values, RunSettings(after=250)) == [250, 296]  # still running when the wait ends: alarms then


def test_the_detector_scores_a_stopped_metric_only_with_the_view() -> None:
    rng = np.random.default_rng(3)
    values = np.array(_bursts(rng, [int(g) for g in rng.integers(10, 51, 60)]) + [0.0] * 300)
    stopped = len(values) - 300
    with_view = np.flatnonzero(score_series(values) >= THRESHOLD)
    without = np.flatnonzero(score_series(values, DetectorSettings(runs=None)) >= THRESHOLD)
    assert [i for i in with_view if i >= stopped] != [] and all(i < stopped + 60 for i in with_view if i >= stopped)
    assert [i for i in without if i >= stopped] == []
