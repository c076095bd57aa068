"""Streaming anomaly detection for alert rules: one value in, one score in [0, 1] out, O(window) per point.

The detector combines two views of the stream, each scaled robustly so that one threshold fits every
metric (CPU %, bytes, latency):

* **spike**: how far the newest value lies from the rolling median, in rolling MADs — catches spikes and
  dips without being dragged by the outliers themselves;
* **shift**: how far the mean of the last few values lies from the median of the values before them, in
  the same units — catches level shifts and slow drifts earlier than a single point can.

The larger of the two raw scores is turned into a likelihood like Numenta's: how unusual the short-term
average of the raw score is against its own long-term distribution, so a noisy metric has to be noisier
than it usually is before it alerts. After an alert the detector re-centres on the new level (a
changepoint): an alert rule wants to hear about a step once, not on every point until the window forgets it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class DetectorSettings:
    window: int = 128  # values the rolling median/MAD are taken over
    short: int = 4  # values averaged for the level-shift view
    history: int = 2000  # raw scores the likelihood is learnt from
    smoothing: int = 3  # raw scores averaged before the likelihood
    warmup: int = 64  # no scores before this many values
    alert_level: float = 0.999  # a score from here re-centres the detector on the new level
    floor: float = 1e-6  # scale floor relative to the median's magnitude, so flat lines do not divide by 0


class AnomalyDetector:
    """``update(value) -> score``; a score near 1 is anomalous. Use ``score >= threshold`` in a rule."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        s = self.settings
        self._values: deque[float] = deque(maxlen=s.window)
        self._raw: deque[float] = deque(maxlen=s.history)
        self._recent: deque[float] = deque(maxlen=s.smoothing)
        self._seen = 0

    def update(self, value: float) -> float:
        s = self.settings
        self._seen += 1
        if not np.isfinite(value):
            return 0.0  # a gap is not evidence either way; no-data alerting is the rule's job
        if len(self._values) < max(s.warmup, s.short + 2):
            self._values.append(value)
            return 0.0
        raw = self._raw_score(value)
        self._values.append(value)
        self._recent.append(raw)
        smoothed = float(np.mean(self._recent))
        score = self._likelihood(smoothed)
        self._raw.append(raw)
        if score >= s.alert_level:
            self._recentre()
        return score

    def _raw_score(self, value: float) -> float:
        s = self.settings
        window = np.fromiter(self._values, float, len(self._values))
        median = float(np.median(window))
        mad = float(np.median(np.abs(window - median)))
        spread = max(1.4826 * mad, float(np.std(window)) * 0.1, s.floor * max(abs(median), 1.0))
        spike = abs(value - median) / spread
        older = window[: -s.short + 1] if s.short > 1 else window
        recent = np.append(window[-s.short + 1:], value) if s.short > 1 else np.array([value])
        shift = abs(float(np.mean(recent)) - float(np.median(older))) / spread * np.sqrt(s.short)
        return max(spike, shift)

    def _likelihood(self, smoothed: float) -> float:
        if len(self._raw) < 32:
            return 0.0
        history = np.fromiter(self._raw, float, len(self._raw))
        mean, std = float(history.mean()), float(history.std())
        z = (smoothed - mean) / max(std, 1e-9)
        return float(special.ndtr(z))

    def _recentre(self) -> None:
        """Forget the old level: keep only the newest values so the median follows the step at once."""
        keep = list(self._values)[-self.settings.short:]
        self._values.clear()
        self._values.extend(keep)
        self._recent.clear()


def score_series(values: np.ndarray, settings: DetectorSettings | None = None) -> np.ndarray:
    """Scores for a whole series, as the streaming detector would have produced them point by point."""
    detector = AnomalyDetector(settings)
    return np.array([detector.update(float(v)) for v in values])
