"""Shape categories: what they learn in the warm-up, when they alarm, and what they add to the detector."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from vigil.analysis.anomaly import DetectorSettings, SeasonalDetector
from vigil.analysis.categories import CategorySettings, ShapeCategories

SMALL = CategorySettings(warmup=200, block=2, length=4, rest=30)


def alarms(categories: ShapeCategories, values: np.ndarray) -> list[int]:
    return [i for i, v in enumerate(values) if categories.update(float(v)) > 0]


def wave(n: int, rng: np.random.Generator, noise: float = 0.02) -> np.ndarray:
    return np.sin(np.arange(n) * 2 * np.pi / 20) + rng.normal(0, noise, n)


def test_a_pattern_seen_in_the_warm_up_never_alarms() -> None:
    rng = np.random.default_rng(1)
    categories = ShapeCategories(SMALL)
    assert alarms(categories, wave(2000, rng)) == []
    assert 0.5 < categories.vigilance <= SMALL.max_vigilance


def test_a_new_shape_inside_the_usual_range_alarms_once_then_rests() -> None:
    rng = np.random.default_rng(2)
    values = wave(1000, rng)
    values[600:640] = 0.0  # the wave stops: a flat line, never drawn, well inside the range
    categories = ShapeCategories(SMALL)
    raised = alarms(categories, values)
    assert raised and 600 <= raised[0] <= 610  # found within a few values of the change
    assert all(b - a > SMALL.rest for a, b in pairwise(raised))  # the rest holds


def test_a_stream_that_keeps_drawing_new_shapes_is_one_event() -> None:
    rng = np.random.default_rng(6)
    values = np.r_[wave(400, rng), rng.uniform(3.0, 6.0, 1000)]  # a new level, and noise never seen
    categories = ShapeCategories(SMALL)
    raised = alarms(categories, values)
    assert len(raised) == 1 and 400 <= raised[0] < 410  # new shapes every few values extend the rest


def test_the_vigilance_is_learnt_from_how_much_the_warm_up_wanders() -> None:
    rng = np.random.default_rng(3)
    quiet, wandering = ShapeCategories(SMALL), ShapeCategories(SMALL)
    alarms(quiet, wave(400, rng, noise=0.01))
    alarms(wandering, wave(400, rng, noise=0.3))
    assert wandering.vigilance < quiet.vigilance  # a noisy metric gets wider categories


def test_nothing_is_scored_during_the_warm_up_and_a_flat_warm_up_still_has_a_scale() -> None:
    categories = ShapeCategories(SMALL)
    assert alarms(categories, np.full(SMALL.warmup, 5.0)) == []
    assert alarms(categories, np.full(50, 5.0)) == []
    assert alarms(categories, np.full(50, 9.0))  # a step off the flat line is a new shape


def test_categories_stay_within_their_capacity() -> None:
    rng = np.random.default_rng(4)
    categories = ShapeCategories(CategorySettings(warmup=50, block=1, length=4, rest=0, capacity=25))
    alarms(categories, rng.uniform(0, 1, 3000))  # noise: new shapes all the time
    assert len(categories._lows) == 25


def test_the_detector_flags_a_new_shape_inside_the_range_the_spread_view_cannot_see() -> None:
    # Spikes every 20-30 values (no steady period); then, inside the usual range, a half-height hump.
    rng = np.random.default_rng(5)
    values = rng.normal(0.0, 0.01, 3000)
    values[np.cumsum(rng.integers(20, 31, 150))[:120]] += 1.0
    hump = slice(2210, 2218)
    values[hump] = 0.5 + rng.normal(0.0, 0.01, 8)
    spread_only = SeasonalDetector(DetectorSettings(categories=None, rhythm=None))
    both = SeasonalDetector(DetectorSettings())
    plain = np.array([spread_only.update(float(v)) for v in values])
    full = np.array([both.update(float(v)) for v in values])
    threshold = 0.9993
    assert spread_only.period is None  # the spikes have no period for the seasonal stage to learn
    assert not np.any(plain[2200:2240] >= threshold)  # lower than the spikes: no record
    assert np.any(full[2200:2240] >= threshold)


def test_a_step_alarms_once_its_echo_in_the_other_view_is_quiet() -> None:
    # The spread view records the step; one value later the categories meet a shape never seen. One event:
    # the second alarm is an echo, inside the quiet spell and no stronger than the first.
    rng = np.random.default_rng(2)
    values = np.r_[rng.normal(20, 1, 1200), rng.normal(35, 1, 100)]

    def alarms_after_step(settings: DetectorSettings) -> list[int]:
        detector = SeasonalDetector(settings)
        scores = np.array([detector.update(float(v)) for v in values])
        return [int(i) for i in np.flatnonzero(scores[1200:] >= 0.9995) + 1200]

    assert alarms_after_step(DetectorSettings(quiet_after=0, rhythm=None)) == [1200, 1201]
    # The new-rhythm view echoes a step too (a step correlates the values at short lags): still one alarm.
    assert alarms_after_step(DetectorSettings(quiet_after=0)) == [1200, 1201, 1206]
    assert alarms_after_step(DetectorSettings()) == [1200]
