"""A memory of the shapes a stream has drawn, so a detector can ask "have we seen this before?".

The stream is cut into blocks of ``block`` values; each block is kept as its minimum and maximum, so a
one-sample spike survives (a mean would smooth it away). A *shape* is the last ``length`` blocks, the newest
one possibly still filling. Its novelty is the distance to the nearest shape already stored — the largest
gap between matching block minima or maxima — in units of the range of everything seen so far, so one
tolerance fits CPU % and bytes alike. A dip that looks like the dips of last week is near 0; a
step, a new rhythm or a deeper fall than ever is far from everything.
"""

from __future__ import annotations

import numpy as np


class ShapeMemory:
    """``observe(value)`` every value; ``novelty()`` when asked: how unlike every stored shape the latest one
    is, in ranges (∞ until there is something to compare with). Asking is O(capacity), observing O(1), so a
    detector asks only about the rare values it is about to alert on."""

    def __init__(self, block: int, length: int, capacity: int) -> None:
        self.block, self.length, self.capacity = block, length, capacity
        self._lows: list[float] = []  # the last ``length`` complete blocks
        self._highs: list[float] = []
        self._block_low, self._block_high, self._in_block = np.inf, -np.inf, 0
        self._shapes = np.empty((capacity, 2 * length))  # a ring of complete shapes: lows then highs
        self._stored, self._next = 0, 0
        self._low, self._high = np.inf, -np.inf  # of everything seen: the unit of distance

    def observe(self, value: float) -> None:
        if self._in_block == self.block:  # closed lazily, so novelty() still sees the block the value ended
            self._close_block()
        self._low, self._high = min(self._low, value), max(self._high, value)
        self._block_low, self._block_high = min(self._block_low, value), max(self._block_high, value)
        self._in_block += 1

    def novelty(self) -> float:
        if self._stored <= self.length or self._high <= self._low:
            return float("inf")
        # Once a shape is stored ``_lows`` holds ``length`` closed blocks: drop the oldest, add the open one.
        shape = np.array([*self._lows[1:], self._block_low, *self._highs[1:], self._block_high])
        gaps = np.abs(self._shapes[: self._stored] - shape).max(axis=1)
        # The newest ``length`` stored shapes share blocks with this one: matching them is no evidence.
        gaps[(self._next - 1 - np.arange(self.length)) % self.capacity] = np.inf
        return float(gaps.min()) / (self._high - self._low)

    def _close_block(self) -> None:
        self._lows.append(self._block_low)
        self._highs.append(self._block_high)
        del self._lows[: -self.length], self._highs[: -self.length]
        if len(self._lows) == self.length:
            self._shapes[self._next] = self._lows + self._highs
            self._next = (self._next + 1) % self.capacity
            self._stored = min(self._stored + 1, self.capacity)
        self._block_low, self._block_high, self._in_block = np.inf, -np.inf, 0
