"""The new-rhythm view: a stream that starts repeating itself at a short lag alarms once; noise never does."""

from __future__ import annotations

import numpy as np

from vigil.analysis.anomaly import DetectorSettings, score_series
from vigil.analysis.rhythm import NewRhythm, RhythmSettings

THRESHOLD = 0.9992  # what the rules use; every view's alarm scores above it
START = 1500  # where the rhythm sets in


def _idle_then_rhythm(seed: int) -> np.ndarray:
    """An idle metric (a level with a little noise and a rare spike), then a four-value rhythm inside the
    range the spikes already drew: the new pattern of NAB's grok_asg_anomaly."""
    rng = np.random.default_rng(seed)
    values = 33.4 + rng.normal(0.0, 0.1, 2000)
    spikes = rng.choice(START, 30, replace=False)
    values[spikes] += rng.choice([-5.0, 3.0], 30)
    values[START:] += np.tile([0.0, 0.0, 2.4, -2.6], (2000 - START) // 4)
    return values


def _alarms(values: np.ndarray, settings: RhythmSettings | None = None) -> list[int]:
    view = NewRhythm(settings)
    return [i for i, v in enumerate(values) if view.update(float(v))]


def test_strength_is_the_autocorrelation_at_the_rhythms_lag_and_nothing_for_a_flat_line() -> None:
    view = NewRhythm()
    for v in np.tile([0.0, 0.0, 2.4, -2.6], 12):
        view.update(float(v))
    assert view.strength() > 0.95
    flat = NewRhythm()
    for _ in range(48):
        flat.update(5.0)
    assert flat.strength() == 0.0


def test_a_new_rhythm_alarms_once_within_a_window_of_its_start() -> None:
    for seed in (1, 2, 3):
        (alarm,) = _alarms(_idle_then_rhythm(seed))
        assert START < alarm <= START + RhythmSettings().window


def test_the_detector_sees_the_rhythm_only_with_the_view() -> None:
    values = _idle_then_rhythm(1)
    with_view = np.flatnonzero(score_series(values)[START:] >= THRESHOLD)
    without = np.flatnonzero(score_series(values, DetectorSettings(rhythm=None))[START:] >= THRESHOLD)
    assert with_view.size and with_view[0] <= RhythmSettings().window
    assert without.size == 0


def test_noise_and_a_rhythm_there_from_the_start_never_alarm() -> None:
    rng = np.random.default_rng(4)
    assert _alarms(rng.normal(0.0, 1.0, 20_000)) == []
    steady = np.sin(np.arange(6000) * 2 * np.pi / 8) + rng.normal(0.0, 0.3, 6000)
    assert _alarms(steady) == []
