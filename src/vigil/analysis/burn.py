"""Error budgets and burn rates of an SLO, from its good and total event rates.

A metric source gives the SLI as two series of per-second rates (what ``sum(rate(x[2m]))`` answers);
each sample stands for the events of the interval before it (rate × seconds since the previous sample,
capped at three typical intervals so a gap in the data is not filled with invented traffic).

Burn rate over a window = (bad / total over the window) / (1 − target): 1 means the budget would last
exactly the SLO window. The budget a release consumed is its bad events over the budget of the whole SLO
window, that budget being (1 − target) × the events of the window at the release's measured traffic rate:
``consumed = bad / ((1 − target) × total × window / measured)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from vigil.metrics.base import MetricSource, Series
from vigil.metrics.simulated_sli import SLI_GROUP
from vigil.plan.schema import Metric
from vigil.plan.slo import SLO, BurnWindow

# Rates are asked for at this spacing from sources that need one (Prometheus); the rate's own range is
# wider so a 30 s scrape still gives four points to every rate.
SLI_STEP = timedelta(minutes=1)
SLI_RATE_RANGE = "2m"


@dataclass(frozen=True)
class Events:
    """Good and total events per sample, at the sample times (epoch seconds), and the seconds each covers."""

    timestamps: npt.NDArray[np.float64]
    good: npt.NDArray[np.float64]
    total: npt.NDArray[np.float64]
    seconds: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.timestamps.size)

    def sums(self, ends: npt.NDArray[np.float64], span: float) -> tuple[npt.NDArray[np.float64], ...]:
        """Good and total events of the samples in ``(end − span, end]`` for every end, in one pass."""
        cum_good = np.concatenate(([0.0], np.cumsum(self.good)))
        cum_total = np.concatenate(([0.0], np.cumsum(self.total)))
        hi = np.searchsorted(self.timestamps, ends, side="right")
        lo = np.searchsorted(self.timestamps, ends - span, side="right")
        return cum_good[hi] - cum_good[lo], cum_total[hi] - cum_total[lo]


def events_from_rates(good: Series, total: Series) -> Events:
    """Pair the two rate series on their common sample times and turn them into event counts.

    Samples where either is missing or not finite are dropped (no data, not zero); good is capped at
    total, so a scrape race between the two counters never makes a negative number of bad events.
    """
    good, total = good.finite(), total.finite()
    ts, gi, ti = np.intersect1d(good.timestamps, total.timestamps, assume_unique=False, return_indices=True)
    if ts.size == 0:
        empty = np.empty(0)
        return Events(empty, empty, empty, empty)
    tot = np.maximum(total.values[ti], 0.0)
    ok = np.clip(good.values[gi], 0.0, tot)
    gaps = np.diff(ts)
    typical = float(np.median(gaps)) if gaps.size else 0.0
    seconds = np.minimum(np.concatenate(([typical], gaps)), 3 * typical)
    return Events(ts, ok * seconds, tot * seconds, seconds)


def burn_rates(events: Events, ends: npt.NDArray[np.float64], span: timedelta, slo: SLO
               ) -> npt.NDArray[np.float64]:
    """Burn rate over ``span`` ending at each of ``ends``; NaN where the window holds fewer than
    ``min_events`` events (too little traffic to alert on) or none at all."""
    good, total = events.sums(ends, span.total_seconds())
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (total - good) / total / slo.allowed
    return np.where((total > 0) & (total >= slo.min_events), rate, np.nan)


def pair_burn(events: Events, pair: BurnWindow, slo: SLO) -> Series:
    """At every sample, the burn rate both windows of the pair exceed (the smaller of the two): the pair
    alerts where this is at least ``pair.factor``."""
    ends = events.timestamps
    long, short = burn_rates(events, ends, pair.long, slo), burn_rates(events, ends, pair.short, slo)
    # NaN (too little traffic) in either window makes the pair's value NaN: an alert needs both.
    return Series(ends, np.minimum(long, short))


@dataclass(frozen=True)
class Budget:
    """An SLO's budget figures for the release, from its start to one moment (a checkpoint's due time)."""

    slo: str
    target: float
    window_seconds: float
    good: float
    total: float
    measured_seconds: float
    burning: tuple[str, ...]  # the page pairs that burn at that moment, e.g. "14.4× over 1h and 5m"

    @property
    def bad(self) -> float:
        return self.total - self.good

    @property
    def has_data(self) -> bool:
        return self.total > 0 and self.measured_seconds > 0

    @property
    def window_budget(self) -> float | None:
        """Bad events the whole SLO window may hold, at the traffic rate measured during the release."""
        if not self.has_data:
            return None
        return (100.0 - self.target) / 100.0 * self.total * self.window_seconds / self.measured_seconds

    @property
    def consumed(self) -> float | None:
        """Share of the window's budget the release's bad events used (1.0 = all of it)."""
        budget = self.window_budget
        return self.bad / budget if budget else None

    @property
    def remaining(self) -> float | None:
        """Share left, counting only what the release consumed (negative: overspent)."""
        return 1.0 - self.consumed if self.consumed is not None else None

    @property
    def burn_rate(self) -> float | None:
        """The average burn rate over the release so far."""
        if not self.has_data:
            return None
        return self.bad / self.total / ((100.0 - self.target) / 100.0)


def budget_of(slo: SLO, events: Events, until: datetime) -> Budget:
    """The budget figures for the events up to ``until`` (the caller fetched them from the release start)."""
    keep = events.timestamps <= until.timestamp()
    good, total = float(events.good[keep].sum()), float(events.total[keep].sum())
    end = np.array([until.timestamp()])
    burning = tuple(describe(pair) for pair in slo.alerts if pair.severity == "page"
                    and _burns_at(events, end, pair, slo))
    return Budget(slo.name, slo.target, slo.window.total_seconds(), good, total,
                  float(events.seconds[keep].sum()), burning)


def _burns_at(events: Events, ends: npt.NDArray[np.float64], pair: BurnWindow, slo: SLO) -> bool:
    long = burn_rates(events, ends, pair.long, slo)
    short = burn_rates(events, ends, pair.short, slo)
    return bool(np.all(np.isfinite(long) & np.isfinite(short) & (long >= pair.factor) & (short >= pair.factor)))


def describe(pair: BurnWindow) -> str:
    return f"{pair.factor:g}× over {prom_duration(pair.long)} and {prom_duration(pair.short)}"


# --- reading the SLI from a metric source ----------------------------------------------------------

def sli_metrics(slo: SLO) -> tuple[Metric, Metric]:
    """The good and total rates as metrics a source can fetch (``<stem>_good``, ``<stem>_total``)."""
    def metric(kind: str, query: str) -> Metric:
        return Metric(name=f"{slo.metric_stem}_{kind}", label=f"{slo.name} {kind} events", unit="/s",
                      source=slo.source, query=rate_query(query, SLI_RATE_RANGE), group=SLI_GROUP)
    return metric("good", slo.sli.good_query()), metric("total", slo.sli.total_query())


def fetch_events(source: MetricSource, slo: SLO, start: datetime, end: datetime) -> Events:
    """The new version's SLI events in ``(start, end]``; a ``SourceError`` goes to the caller (no data)."""
    good, total = sli_metrics(slo)
    return events_from_rates(source.fetch(good, "new", start, end, SLI_STEP),
                             source.fetch(total, "new", start, end, SLI_STEP))


def rate_query(query: str, window: str) -> str:
    """A per-second rate of the SLI query: the query itself when it says where its range goes
    (``$window``), else the summed rate of the counter it selects."""
    if "$window" in query or "${window}" in query:
        return query.replace("${window}", window).replace("$window", window)
    return f"sum(rate({query}[{window}]))"


def prom_duration(delta: timedelta) -> str:
    """``timedelta`` as a Prometheus duration (``5m``, ``1h``, ``3d``, ``1h30m``)."""
    seconds, parts = int(delta.total_seconds()), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
