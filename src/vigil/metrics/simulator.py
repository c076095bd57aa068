"""A deterministic synthetic service: a baseline and a new-version cohort for every template metric.

Values are a pure function of (seed, metric, cohort, time step), so any window can be asked for in any
order, by any process, and always gets the same numbers; that is what makes a killed and restarted watch
reach the same decisions. Faults from the plan change the new version (a dependency outage changes both,
since the dependency is shared). Once a release is rolled back the new cohort has no traffic, so no data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from vigil.errors import SourceError
from vigil.metrics.base import Cohort, Series
from vigil.metrics.simulated_sli import SLI_GROUP, simulated_sli
from vigil.plan.schema import Fault, Metric, Source

# 15 s, like a typical scrape interval: a 5-minute window then holds the 20 points a rank test needs.
STEP_SECONDS = 15
_BLOCK = 5760  # steps (one day) of noise generated at once


@dataclass(frozen=True)
class Profile:
    mean: float
    noise: float
    seasonal: float = 0.0  # amplitude of the daily cycle as a fraction of the mean


# The healthy service. Rate metrics (throughput, users, sign-ups, revenue) are given at full traffic so a
# 5 % canary and the 95 % baseline compare like with like.
PROFILES: dict[str, Profile] = {
    "error_rate": Profile(0.04, 0.006),
    "p99_latency": Profile(210.0, 7.0, 0.05),
    "p95_latency": Profile(160.0, 5.0, 0.05),
    "throughput": Profile(1200.0, 25.0, 0.2),
    "cpu_usage": Profile(45.0, 1.5, 0.1),
    "memory_usage": Profile(50.0, 0.5),
    "db_query_time": Profile(35.0, 1.5, 0.05),
    "active_users": Profile(5400.0, 60.0, 0.2),
    "conversion_rate": Profile(3.2, 0.05),
    "signups": Profile(120.0, 4.0, 0.2),
    "revenue": Profile(18000.0, 300.0, 0.2),
}
_GENERIC = Profile(100.0, 2.0)
_LATENCY = {"p99_latency", "p95_latency", "db_query_time"}


class SimulatorSource:
    def __init__(self, spec: Source, release_start: datetime,
                 traffic_percent: Callable[[timedelta], float],
                 rolled_back_at: datetime | None = None) -> None:
        self.name = spec.name
        self._seed, self._faults = spec.seed, spec.faults
        self._start = release_start.timestamp()
        self._traffic = traffic_percent
        self._rolled_back = rolled_back_at.timestamp() if rolled_back_at else None

    def fetch(self, metric: Metric, cohort: Cohort, start: datetime, end: datetime,
              step: timedelta | None = None) -> Series:
        if metric.group == SLI_GROUP:  # an SLO's good/total rates, from the metrics below (docs/slo.md)
            return simulated_sli(self.fetch, metric, cohort, start, end)
        self._check_reachable(start, end)
        first = int(np.floor(start.timestamp() / STEP_SECONDS)) + 1
        last = int(np.floor(end.timestamp() / STEP_SECONDS))
        if last < first:
            return Series.empty()
        steps = np.arange(first, last + 1, dtype=np.int64)
        ts = steps.astype(np.float64) * STEP_SECONDS
        if cohort == "new":
            live = self._new_version_live(ts)
            steps, ts = steps[live], ts[live]
        profile = PROFILES.get(metric.name, _GENERIC)
        values = self._healthy(metric.name, profile, cohort, steps, ts)
        values = self._apply_faults(metric.name, cohort, ts, values)
        return Series(ts, values)

    def _check_reachable(self, start: datetime, end: datetime) -> None:
        for fault in self._faults:
            if fault.kind != "source_outage":
                continue
            down_from = self._start + fault.start.total_seconds()
            down_until = down_from + (fault.duration.total_seconds() if fault.duration else float("inf"))
            if start.timestamp() < down_until and end.timestamp() > down_from:
                raise SourceError(f"simulated source '{self.name}' is down (connection refused)")

    def _new_version_live(self, ts: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        offsets = ts - self._start
        live = np.array([offset >= 0 and self._traffic(timedelta(seconds=float(offset))) > 0
                         for offset in offsets], dtype=bool)
        if self._rolled_back is not None:
            live &= ts <= self._rolled_back
        return live

    def _healthy(self, name: str, profile: Profile, cohort: Cohort, steps: npt.NDArray[np.int64],
                 ts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        noise = np.empty(steps.size)
        blocks = steps // _BLOCK
        for block in np.unique(blocks):
            mask = blocks == block
            noise[mask] = _noise_block(self._seed, name, cohort, int(block))[steps[mask] % _BLOCK]
        day_phase = 2 * np.pi * (ts % 86400) / 86400
        level = profile.mean * (1 + profile.seasonal * np.sin(day_phase - np.pi / 2))
        return np.maximum(level + profile.noise * noise, 0.0)

    def _apply_faults(self, name: str, cohort: Cohort, ts: npt.NDArray[np.float64],
                      values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = values.copy()
        for fault in self._faults:
            if cohort == "baseline" and fault.kind != "dependency_outage":
                continue
            hours = self._fault_hours(fault, ts)
            on = hours >= 0
            if not on.any():
                continue
            out[on] = _faulted(name, fault, out[on], hours[on])
        return out

    def _fault_hours(self, fault: Fault, ts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Hours since the fault began, or -1 where it is not active."""
        since = ts - (self._start + fault.start.total_seconds())
        active = since >= 0
        if fault.duration is not None:
            active &= since < fault.duration.total_seconds()
        return np.where(active, since / 3600.0, -1.0)


def _faulted(name: str, fault: Fault, values: npt.NDArray[np.float64],
             hours: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    m = fault.magnitude
    match fault.kind:
        case "memory_leak" if name == "memory_usage":
            return np.minimum(values + m * hours, 100.0)  # m: percentage points per hour
        case "error_spike" if name == "error_rate":
            return values + m  # m: added percentage points of errors
        case "error_spike" if name == "conversion_rate":
            return values * max(0.0, 1 - 0.1 * m)
        case "latency_regression" if name in _LATENCY:
            return values * (1 + m)  # m: added fraction, 0.5 = 50 % slower
        case "throughput_drop" if name in {"throughput", "active_users", "signups", "revenue"}:
            return values * max(0.0, 1 - min(m, 1.0))  # m: fraction lost
        case "dependency_outage":
            if name == "error_rate":
                return values + 5 * m
            if name in _LATENCY:
                return values * (1 + 2 * m)
            if name in {"throughput", "conversion_rate", "revenue", "signups"}:
                return values * max(0.0, 1 - 0.4 * min(m, 1.0))
    return values


@lru_cache(maxsize=4096)
def _noise_block(seed: int, name: str, cohort: str, block: int) -> npt.NDArray[np.float64]:
    key = [seed, *name.encode(), 1 if cohort == "new" else 0, block]
    return np.random.default_rng(key).standard_normal(_BLOCK)
