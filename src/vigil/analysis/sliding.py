"""The minimum and maximum of the last ``size`` values of a stream, in O(1) amortised time per value."""

from __future__ import annotations

import operator
from collections import deque


class SlidingRange:
    """The minimum and maximum of the last ``size`` values, O(1) amortised per value (monotonic queues)."""

    def __init__(self, size: int) -> None:
        self.size, self.count = size, 0
        self._lows: deque[tuple[int, float]] = deque()  # (position, value), values rising from the left
        self._highs: deque[tuple[int, float]] = deque()  # values falling from the left

    def excess(self, value: float) -> float:
        """How far ``value`` lies outside the range, as a share of it: 0 inside, or until the range is full."""
        if self.size <= 0 or self.count < self.size:
            return 0.0
        low, high = self._lows[0][1], self._highs[0][1]
        if high <= low:
            return 0.0  # a flat line has no range to measure in; the spread view's floor handles it
        return max(low - value, value - high, 0.0) / (high - low)

    @property
    def high(self) -> float:
        """The largest of the last ``size`` values (−∞ before the first)."""
        return self._highs[0][1] if self._highs else float("-inf")

    def append(self, value: float) -> None:
        position, self.count = self.count, self.count + 1
        for queue, keeps in ((self._lows, operator.lt), (self._highs, operator.gt)):
            while queue and not keeps(queue[-1][1], value):
                queue.pop()
            queue.append((position, value))
            if queue[0][0] <= position - self.size:
                queue.popleft()
