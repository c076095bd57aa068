"""Categories of the shapes a stream draws, learnt as it streams: a new shape that fits none is an anomaly.

This is a small fuzzy-ART (adaptive resonance) scheme, the family of NAB's best published detector. The
stream is averaged over blocks of ``block`` values, and a *shape* is the last ``length`` block means,
scaled by the range of the warm-up. A category is a box around the shapes it has taken in: a shape *fits*
a category when the box, stretched to hold it, is still small. A shape that fits no category starts a new
one and is an alarm, unless it comes within the rest period after the last new shape: a stream still
drawing new shapes (a new level being learnt) is one event, not one alarm per shape. A shape that fits
nudges its category's box towards itself, slowly, so the categories follow slow changes without forgetting.

How small is small (the *vigilance*) is learnt, not set: after the warm-up it is the worst fit seen in its
second half, less a small slack. So a metric that always wanders has wide categories and alarms only
beyond its usual wandering; a quiet one alarms on a small change of shape.

Where the spread view of ``anomaly.py`` asks "how far from the usual level, in the usual spread?", this
asks "has the stream ever drawn this?". They fail on different things: the spread view misses a change of
shape within the usual range (a missing beat, a new wobble) and the categories miss a spike inside a shape
that is itself noisy. ``SeasonalDetector`` runs both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CategorySettings:
    warmup: int = 600  # values whose range scales shapes and whose second half sets the vigilance
    block: int = 2  # values averaged per point of a shape
    length: int = 6  # block means per shape
    learning_rate: float = 0.01  # how far a fitting shape pulls its category's box towards itself
    slack: float = 0.98  # vigilance = worst warm-up fit × slack
    max_vigilance: float = 0.97  # during the warm-up, and the ceiling after it
    rest: int = 150  # values after a new shape in which another is not an alarm (and extends the rest)
    capacity: int = 2000  # categories kept; the least recently fitted one makes room for a new one
    beyond: float = 2.0  # how far outside the warm-up's range (in ranges) a shape is still told apart


class ShapeCategories:
    """``update(value) -> misfit``: 0.0, or when the latest shape fits no category (an alarm) how badly
    the nearest one fits it, > 0 (above 1 for a shape far outside the warm-up's range). O(categories ×
    length) per block."""

    def __init__(self, settings: CategorySettings | None = None) -> None:
        self.settings = s = settings or CategorySettings()
        self.vigilance = s.max_vigilance
        self._warm: list[float] | None = []  # the warm-up values, until the scale is known
        self._low, self._span = 0.0, 1.0
        self._block_sum, self._block_count = 0.0, 0
        self._shape: list[float] = []
        self._lows = np.empty((0, s.length))  # each category's box: lower and upper corners
        self._highs = np.empty((0, s.length))
        self._last_fit = np.empty(0)  # when each category last took a shape in, for eviction
        self._calibration: list[float] = []  # best fits in the second half of the warm-up
        self._seen = 0
        self._last_new: int | None = None  # when the last new category was made after the warm-up

    def update(self, value: float) -> float:
        s = self.settings
        if self._warm is not None:
            self._warm.append(value)
            if len(self._warm) < s.warmup:
                return 0.0
            self._end_warmup(self._warm)
            return 0.0
        return self._observe(value)

    def _end_warmup(self, values: list[float]) -> None:
        self._warm = None
        self._low = min(values)
        self._span = (max(values) - self._low) or max(abs(self._low), 1.0)
        for value in values:
            self._observe(value)

    def _observe(self, value: float) -> float:
        s = self.settings
        self._seen += 1
        self._block_sum += value
        self._block_count += 1
        if self._block_count < s.block:
            return 0.0
        point = min(max((self._block_sum / s.block - self._low) / self._span, -s.beyond), 1.0 + s.beyond)
        self._block_sum, self._block_count = 0.0, 0
        self._shape.append(point)
        del self._shape[: -s.length]
        if len(self._shape) < s.length:
            return 0.0
        return self._classify(np.array(self._shape))

    def _classify(self, shape: np.ndarray) -> float:
        s = self.settings
        best, fit = self._nearest(shape)
        warming = self._seen <= s.warmup
        self._calibrate(warming, best, fit)
        if best >= 0 and fit >= self.vigilance:
            rate = s.learning_rate
            self._lows[best] += rate * (np.minimum(self._lows[best], shape) - self._lows[best])
            self._highs[best] += rate * (np.maximum(self._highs[best], shape) - self._highs[best])
            self._last_fit[best] = self._seen
            return 0.0
        self._add(shape)
        if warming:
            return 0.0
        resting = self._last_new is not None and self._seen - self._last_new <= s.rest
        # A new shape within the rest is the same event still unfolding (a new level being learnt, shape
        # after shape): it extends the rest rather than alarming again.
        self._last_new = self._seen
        return 0.0 if resting else 1.0 - fit

    def _calibrate(self, warming: bool, best: int, fit: float) -> None:
        s = self.settings
        if warming and self._seen > s.warmup // 2 and best >= 0:
            self._calibration.append(fit)
        elif not warming and self._calibration:
            # The first shape after the warm-up: fix the vigilance from how well the warm-up fitted.
            self.vigilance = min(s.max_vigilance, min(self._calibration) * s.slack)
            self._calibration = []

    def _nearest(self, shape: np.ndarray) -> tuple[int, float]:
        """The category that fits ``shape`` best and how well: 1 − the mean side of its stretched box."""
        if not len(self._lows):
            return -1, 0.0
        sides = np.maximum(self._highs, shape) - np.minimum(self._lows, shape)
        fits = 1.0 - sides.mean(axis=1)
        best = int(np.argmax(fits))
        return best, float(fits[best])

    def _add(self, shape: np.ndarray) -> None:
        if len(self._lows) < self.settings.capacity:
            self._lows = np.vstack([self._lows, shape])
            self._highs = np.vstack([self._highs, shape])
            self._last_fit = np.append(self._last_fit, self._seen)
            return
        oldest = int(np.argmin(self._last_fit))
        self._lows[oldest], self._highs[oldest], self._last_fit[oldest] = shape, shape, self._seen
