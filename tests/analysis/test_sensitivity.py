"""The detector's presets: a lower sensitivity fires fewer false alarms on noise and still sees a real step."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from vigil.analysis import sensitivity
from vigil.analysis.anomaly import score_series
from vigil.analysis.sensitivity import settings_for
from vigil.plan import alerting

THRESHOLD = 0.9992  # what NAB's optimiser chose; every view's alarm scores above it
PRESETS = ("high", "medium", "low")


def _noise_alarms(preset: sensitivity.Sensitivity) -> int:
    """Alarms on independent Gaussian noise, after the first 1,000 values (the detector's learning)."""
    total = 0
    for seed in (1, 2):
        values = 100 + 5 * np.random.default_rng(seed).standard_normal(12_000)
        total += int((score_series(values, settings_for(preset))[1000:] >= THRESHOLD).sum())
    return total


def test_each_lower_sensitivity_fires_fewer_false_alarms_on_noise() -> None:
    high, medium, low = (_noise_alarms(p) for p in PRESETS)
    assert high > medium > low
    assert high >= 4 * low  # the presets are far apart, not a rounding of each other


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_fires_on_a_step_of_twelve_standard_deviations(preset: sensitivity.Sensitivity) -> None:
    values = 100 + np.random.default_rng(3).standard_normal(2_000)
    values[1_500:] += 12
    alarms = np.flatnonzero(score_series(values, settings_for(preset))[1_000:] >= THRESHOLD) + 1_000
    assert alarms.tolist()[:1] == [1_500]


def test_the_plan_offers_exactly_the_presets_there_are() -> None:
    assert get_args(alerting.Sensitivity) == get_args(sensitivity.Sensitivity) == PRESETS
