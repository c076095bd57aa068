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

``SeasonalDetector`` adds a third view on the raw values: a value well outside the whole range of the last
``range_window`` values is anomalous whatever the recent spread says. The spread view alone misses it when a
quiet stretch (a spread of almost nothing) has left much larger raw scores in the history than a later drop
to zero from a noisier stretch produces. And it asks a memory of shapes (``shapes.ShapeMemory``) about
every record of the spread view: a record whose recent shape the stream has drawn before (a dip like last
week's dips) is familiar, not novel — ranking against 1,000 recent scores sets such a record about once per
1,000 values on any long series. A record barely above the largest (less than ``record_margin``) is familiar
too, for the same reason.

Beside the spread view, ``categories.ShapeCategories`` learns the shapes the stream draws and alarms on one
that fits none of them, inside the usual range or not. The two views echo each other (a step is a record,
then a shape never seen), so an alarm no stronger than one in the ``quiet_after`` values before it is taken
for its echo and scores as familiar: one event, one alarm.

``runs.LongestRun`` watches how long the stream has repeated one value: longer than it ever has before
means stuck, silent or stopped, though every value is an ordinary one. Last, ``rhythm.NewRhythm`` watches
how strongly the stream repeats itself at a short lag: a rhythm stronger than any in the last 1,000 values
(a job that starts firing, beats that stop) is new even inside the usual range and the usual shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vigil.analysis.categories import CategorySettings, ShapeCategories
from vigil.analysis.rhythm import NewRhythm, RhythmSettings, autocorrelation
from vigil.analysis.runs import LongestRun, RunSettings
from vigil.analysis.shapes import ShapeMemory
from vigil.analysis.sliding import SlidingRange


@dataclass(frozen=True)
class DetectorSettings:
    window: int = 256  # values the rolling median/MAD are taken over
    short: int = 2  # values averaged for the level-shift view
    history: int = 1000  # raw scores the likelihood is learnt from
    smoothing: int = 1  # raw scores averaged before the likelihood
    warmup: int = 64  # no scores before this many values
    recentre: bool = True  # after a novel score, forget the old level (a changepoint)
    floor: float = 1e-6  # scale floor relative to the median's magnitude, so flat lines do not divide by 0
    range_window: int = 1000  # values whose range a new extreme is measured against (0: no range view)
    range_margin: float = 0.3  # how far beyond that range, as a share of it, a value is anomalous by itself
    shape_tolerance: float = 0.05  # a record this close (in ranges) to a shape seen before is familiar (0: off)
    shape_block: int = 6  # values summarised (min, max) per block of a shape
    shape_length: int = 8  # blocks per shape
    shape_memory: int = 5000  # shapes remembered
    record_margin: float = 0.1  # a record less than this share above the largest is only familiar
    categories: CategorySettings | None = field(default_factory=CategorySettings)  # None: no categories
    quiet_after: int = 100  # values after an alarm (of any view) in which one no stronger is its echo
    runs: RunSettings | None = field(default_factory=RunSettings)  # None: no longest-run view
    rhythm: RhythmSettings | None = field(default_factory=RhythmSettings)  # None: no new-rhythm view


class _Ring:
    """A fixed-size numpy ring buffer: O(1) append, the contents as an array view-free copy."""

    def __init__(self, size: int) -> None:
        self.data = np.empty(size)
        self.size, self.count, self.pos = size, 0, 0

    def append(self, value: float) -> None:
        self.data[self.pos] = value
        self.pos = (self.pos + 1) % self.size
        self.count = min(self.count + 1, self.size)

    def values(self) -> np.ndarray:
        if self.count < self.size:
            return self.data[: self.count]
        return np.concatenate((self.data[self.pos :], self.data[: self.pos]))

    def clear_keep(self, keep: int) -> None:
        last = self.values()[-keep:].copy()
        self.count, self.pos = 0, 0
        for v in last:
            self.append(float(v))


class AnomalyDetector:
    """``update(value) -> score``; a score near 1 is anomalous. Use ``score >= threshold`` in a rule.

    The score is the share of the last ``history`` raw scores below the current one; a raw score above all
    of them scores in (1 − 1/(2n), 1), higher the further above the largest it lies. So a daily pattern
    that produces big raw scores every day stops alerting once it has been seen, and the threshold reads
    as "more unusual than all but a fraction (1 − threshold) of recent history".
    """

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        s = self.settings
        self._values = _Ring(s.window)
        self._raw = _Ring(s.history)
        self._recent = _Ring(s.smoothing)
        self.last_was_record = False  # whether the latest score set a record (and so re-centred)

    def update(self, value: float) -> float:
        s = self.settings
        self.last_was_record = False
        if not np.isfinite(value):
            return 0.0  # a gap is not evidence either way; no-data alerting is the rule's job
        if self._values.count < max(s.warmup, s.short + 2):
            self._values.append(value)
            return 0.0
        raw = self._raw_score(value)
        self._values.append(value)
        self._recent.append(raw)
        smoothed = float(self._recent.values().mean())
        score, novel = self._likelihood(smoothed)
        self._raw.append(raw)
        self.last_was_record = novel
        if novel:
            self._changepoint()
        return score

    def familiar_score(self) -> float:
        """What a record scores when its shape has been seen before: as if one past score had been higher."""
        return 1.0 - 1.0 / max(self._raw.count, 1)

    def new_shape_score(self) -> float:
        """What a new shape (one no category fits, or a run of one value longer than any before) scores: as
        a record just ``record_margin`` above the largest."""
        return _record_score(self.settings.record_margin, max(self._raw.count, 1))

    def out_of_range(self, excess: float) -> float:
        """The score of a value ``excess`` ranges beyond the recent range: above any record's, a changepoint."""
        self._changepoint()
        return _record_score(excess / (1.0 + excess), self.settings.history)

    def _changepoint(self) -> None:
        # Re-centre on the new level so a step alerts once, not until the window forgets it.
        if self.settings.recentre:
            self._values.clear_keep(self.settings.short)

    def _raw_score(self, value: float) -> float:
        s = self.settings
        window = self._values.values()
        median = float(np.median(window))
        mad = float(np.median(np.abs(window - median)))
        spread = max(1.4826 * mad, s.floor * max(abs(median), 1.0))
        spike = abs(value - median) / spread
        before = float(window[len(window) - s.short + 1 :].sum()) if s.short > 1 else 0.0
        recent = (before + value) / s.short
        shift = abs(recent - median) / spread * np.sqrt(s.short)
        return max(spike, shift)

    def _likelihood(self, smoothed: float) -> tuple[float, bool]:
        n = self._raw.count
        if n < 32:
            return 0.0, False
        history = self._raw.values()
        top = float(history.max())
        if smoothed <= top:
            return float(np.count_nonzero(history < smoothed)) / n, False
        excess = 1.0 - top / smoothed if smoothed > 0 else 0.0  # in (0, 1): how far above the largest
        if excess < self.settings.record_margin:
            # Barely above the largest: any long stream does that about once per ``history`` values, so
            # it re-centres like a record but scores like a familiar one.
            return self.familiar_score(), True
        return _record_score(excess, n), True


def _record_score(share_above: float, n: int) -> float:
    """A new record among ``n`` raw scores, ``share_above`` ∈ [0, 1) of the way above the largest: in
    (1 − 1/(2n), 1), higher the further above, so every record outranks every score that is not one."""
    return 1.0 - (1.0 - share_above) / (2.0 * n)


DECIDE_AFTER = 600  # values before the first look for a cycle


def samples_to_learn(settings: DetectorSettings | None = None) -> int:
    """Values the detector needs before every view speaks: the range view's window, the categories'
    warm-up, the rhythm view's memory (it speaks one window, 48 values, later still), the first look for a
    cycle. An alert rule's ``window`` should hold at least this many samples; with fewer, a score ranks
    against fewer raw scores and the shape views stay silent."""
    s = settings or DetectorSettings()
    return max(s.range_window, s.categories.warmup if s.categories else 0, s.rhythm.memory if s.rhythm else 0,
               DECIDE_AFTER)


_PHASE_SPAN = 3  # steps either side of the same phase whose spread scales a seasonal difference


class SeasonalDetector:
    """``AnomalyDetector`` on what a strong daily (or other) cycle does not explain.

    Every ``decide_after`` values, until it finds one, it looks for a period in the autocorrelation of the
    values so far (the last ``look_back`` of them); when
    one explains the series well (autocorrelation ≥ ``min_acf`` at that lag), every later value is scored
    by its difference from the median of the same phase in the last three periods, so the daily peak is no
    longer a spike and a day that looks unlike the days before it is. Otherwise it is the plain detector.

    The difference is measured in the usual size of the differences at that phase (their MAD around the
    same phase, ±3 steps, in those periods): a busy hour is usually noisier than a quiet one, and in one unit
    for the whole day the start of every busy hour would look like an anomaly.
    """

    def __init__(self, settings: DetectorSettings | None = None, decide_after: int = DECIDE_AFTER,
                 min_acf: float = 0.9, look_back: int = 2400) -> None:
        self.settings, self.decide_after, self.min_acf = settings or DetectorSettings(), decide_after, min_acf
        self.look_back = look_back
        self.detector = AnomalyDetector(self.settings)
        self.period: int | None = None
        self._seen: list[float] = []  # the last ``look_back`` values until a cycle is found, then three periods
        self._diffs: list[float] = []  # the difference of each of ``_seen`` from its same phase, once known
        self._undecided = 0  # values since the last look for a cycle
        self._range = SlidingRange(self.settings.range_window)
        s = self.settings
        self._shapes = ShapeMemory(s.shape_block, s.shape_length, s.shape_memory)
        self._categories = ShapeCategories(s.categories) if s.categories else None
        self._runs = LongestRun(s.runs) if s.runs else None
        self._rhythm = NewRhythm(s.rhythm) if s.rhythm else None
        self._since_alarm: int | None = None  # values since the last alarm of any view
        self._spell_score = 0.0  # the score of the alarm that began the current quiet spell

    def update(self, value: float) -> float:
        if not np.isfinite(value):
            return 0.0
        return self._quieted(self._judge(value))

    def _quieted(self, score: float) -> float:
        # One event, one alarm: its echoes in the other views (a new shape right after a step, a record
        # as the spread settles) follow within a few dozen values, and each would be a false alarm. An
        # alarm stronger than the one that began the quiet spell is not an echo: it is heard, and begins
        # a spell of its own.
        familiar = self.detector.familiar_score()
        if self._since_alarm is not None:
            self._since_alarm += 1
        if score <= familiar:
            return score
        spell = self._since_alarm is not None and self._since_alarm <= self.settings.quiet_after
        if spell and score <= self._spell_score:
            return familiar
        self._since_alarm, self._spell_score = 0, score
        return score

    def _judge(self, value: float) -> float:
        self._shapes.observe(value)
        score = self._score(value)
        if self._is_familiar_record():
            score = self.detector.familiar_score()
        excess = self._range.excess(value)
        self._range.append(value)
        if excess > self.settings.range_margin:
            score = max(score, self.detector.out_of_range(excess))
        if self._categories is not None and self._categories.update(value) > 0:
            score = max(score, self.detector.new_shape_score())
        if self._runs is not None and self._runs.update(value):
            score = max(score, self.detector.new_shape_score())
        if self._rhythm is not None and self._rhythm.update(value):
            score = max(score, self.detector.new_shape_score())
        return score

    def _is_familiar_record(self) -> bool:
        # Only before a cycle is found: the seasonal stage scores differences from the same phase, which
        # the shapes of the raw values do not describe (on NAB's daily series the check cost 25 points).
        tolerance = self.settings.shape_tolerance
        if self.period is not None or tolerance <= 0 or not self.detector.last_was_record:
            return False
        return self._shapes.novelty() < tolerance

    def _score(self, value: float) -> float:
        self._seen.append(value)
        self._undecided += 1
        if self.period is None and self._undecided == self.decide_after:
            self._decide()
        if self.period is None:
            return self.detector.update(value)
        keep = 3 * self.period + _PHASE_SPAN + 1
        del self._seen[:-keep], self._diffs[: -keep + 1]
        return self.detector.update(self._surprise(len(self._seen) - 1))

    def _decide(self) -> None:
        self.period = dominant_period(np.array(self._seen), self.min_acf)
        if self.period is None:
            # No cycle yet: look again in ``decide_after`` values, then over up to ``look_back`` values, so
            # a cycle longer than half the first look (a week of half-hours) can still be found.
            self._undecided = 0
            keep = self.look_back - self.decide_after
            self._seen = self._seen[-keep:] if keep > 0 else []
            return
        # Start again on the differences, warmed on the values already seen.
        self.detector = AnomalyDetector(self.settings)
        self._diffs = [np.nan] * self.period
        for i in range(self.period, len(self._seen) - 1):
            self.detector.update(self._surprise(i))

    def _surprise(self, i: int) -> float:
        """Value ``i``'s difference from the same phase of the last three periods, in its usual size there."""
        assert self.period is not None
        seen, diffs, period = self._seen, self._diffs, self.period
        lags = [k * period for k in (1, 2, 3) if i - k * period >= 0]
        centre = float(np.median([seen[i - lag] for lag in lags]))
        diff = seen[i] - centre
        diffs.append(diff)
        usual = np.array([diffs[j] for lag in lags
                          for j in range(i - lag - _PHASE_SPAN, i - lag + _PHASE_SPAN + 1) if 0 <= j < i])
        usual = usual[np.isfinite(usual)]
        if usual.size < _PHASE_SPAN:  # the first period after the cycle was found: no same phase yet, so
            usual = np.array(diffs[period:])  # the differences so far, to keep one unit from the start
            if usual.size <= 2 * _PHASE_SPAN:
                return 0.0  # too few differences yet to know their size (the detector is warming up)
        floor = self.settings.floor * max(abs(centre), 1.0)
        return diff / max(float(np.median(np.abs(usual - np.median(usual)))), floor)


def dominant_period(values: np.ndarray, min_acf: float) -> int | None:
    """The lag of the highest autocorrelation peak after it first turns negative, if ≥ ``min_acf``."""
    x = values - values.mean()
    n = x.size
    if n < 48 or not np.any(x):
        return None
    acf = autocorrelation(values)
    first_negative = np.flatnonzero(acf[: n // 2] < 0)
    if not first_negative.size:
        return None
    lag = int(first_negative[0] + np.argmax(acf[first_negative[0] : n // 2]))
    return lag if acf[lag] >= min_acf else None


def score_series(values: np.ndarray, settings: DetectorSettings | None = None) -> np.ndarray:
    """Scores for a whole series, as the streaming detector would have produced them point by point."""
    detector = SeasonalDetector(settings)
    return np.array([detector.update(float(v)) for v in values])
