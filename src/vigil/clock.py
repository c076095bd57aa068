"""Time, injected.

Domain code never calls ``datetime.now()``: it asks a ``Clock``. The simulator and the demo use a
``ManualClock`` that jumps straight to the next due time, so a 24-hour release runs in seconds and tests
never sleep; ``ScaledClock`` runs faster than real time for watch tests that need a real process.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime (naive input is taken to be UTC already)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep_until(self, when: datetime) -> None: ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, when: datetime) -> None:
        delay = (utc(when) - self.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)


class ManualClock:
    """A clock that only moves when told to; ``sleep_until`` jumps instead of waiting."""

    def __init__(self, start: datetime) -> None:
        self._now = utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def sleep_until(self, when: datetime) -> None:
        self._now = max(self._now, utc(when))


class ScaledClock:
    """Real time sped up ``speed`` times, starting from ``origin``.

    By default ``origin`` is "now" for this process. With ``wall_anchor``, ``origin`` is the moment the
    wall clock read ``wall_anchor``, so every process started with the same anchor agrees on the time and
    time keeps passing while no process runs (a watcher that was down finds checkpoints overdue, as it
    would in real time).
    """

    def __init__(self, origin: datetime, speed: float, wall_anchor: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._origin, self._speed = utc(origin), speed
        self._anchor = wall_anchor.timestamp() if wall_anchor is not None else None
        self._t0 = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def _elapsed(self) -> float:
        if self._anchor is not None:
            return time.time() - self._anchor
        return time.monotonic() - self._t0

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=self._elapsed() * self._speed)

    def sleep_until(self, when: datetime) -> None:
        delay = (utc(when) - self.now()).total_seconds() / self._speed
        if delay > 0:
            time.sleep(delay)
