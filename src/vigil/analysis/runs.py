"""The longest run: a metric that has not changed for longer than it ever has is stuck, silent or stopped.

A gauge stuck at its last value, a counter's rate at zero because the job stopped, a disk that stopped
writing between its usual bursts: each is a run of equal values, and the values themselves are ordinary (a
zero the metric often shows), so neither the spread view nor the shapes see anything wrong. What is new is
how long the run has lasted. ``LongestRun`` remembers the longest run of equal values that has ended and
alarms, once, when the current run outlasts it by more than ``margin``.

Equality is exact: a stuck metric repeats its value exactly, while a live float metric almost never does, so
its runs stay a value or two long and the view says nothing. A metric that repeats values as a matter of
course (a small integer count) has to draw at least one run of ``shortest`` before a longer one counts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunSettings:
    margin: float = 0.1  # how much longer than the longest run before it a run must last to alarm
    shortest: int = 10  # the longest run must have been at least this long before a record counts
    after: int = 600  # values seen before any alarm (runs before then are still remembered)


class LongestRun:
    """``update(value) -> bool``: True on the value that makes the current run of equal values a record."""

    def __init__(self, settings: RunSettings | None = None) -> None:
        self.settings = settings or RunSettings()
        self.longest = 0  # the longest run that has ended
        self._last: float | None = None
        self._run = 0
        self._seen = 0
        self._alarmed = False  # this run has already alarmed

    def update(self, value: float) -> bool:
        s = self.settings
        self._seen += 1
        if value == self._last:
            self._run += 1
        else:
            self.longest = max(self.longest, self._run)
            self._last, self._run, self._alarmed = value, 1, False
        record = (not self._alarmed and self._seen > s.after and self.longest >= s.shortest
                  and self._run > self.longest * (1.0 + s.margin))
        self._alarmed = self._alarmed or record
        return record
