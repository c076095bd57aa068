"""Burn-rate pairs over generated error streams: the fast burn is detected when the workbook says it is,
a burn below a pair's factor never fires it, and a handful of requests never pages."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from slo_streams import STEP
from vigil.analysis.burn import events_from_rates, pair_burn
from vigil.metrics.base import Series
from vigil.plan.slo import SLI, SLO, WORKBOOK_WINDOWS

HOUR = 3600.0


def slo(target: float, min_events: float = 100) -> SLO:
    return SLO(name="checkout", sli=SLI(good="ok_total", total="all_total"), target=target, min_events=min_events)


def stream(error_ratio: float, outage_at: float, span: float, rate: float = 100.0) -> tuple[Series, Series]:
    """Clean traffic, then ``error_ratio`` of it failing from ``outage_at`` (seconds) on."""
    ts = np.arange(STEP, span + STEP, STEP)
    total = np.full(ts.size, rate)
    good = np.where(ts > outage_at, rate * (1 - error_ratio), rate)
    return Series(ts, good), Series(ts, total)


def first_fire(values: Series, factor: float) -> float | None:
    hits = np.flatnonzero(np.isfinite(values.values) & (values.values >= factor))
    return float(values.timestamps[hits[0]]) if hits.size else None


@settings(max_examples=60, deadline=None)
@given(error_ratio=st.floats(min_value=0.05, max_value=1.0), target=st.sampled_from([99.0, 99.5, 99.9]))
def test_fast_burn_pages_at_the_workbook_detection_time(error_ratio: float, target: float) -> None:
    objective = slo(target)
    burn_rate = error_ratio / objective.allowed
    page = WORKBOOK_WINDOWS[0]  # 14.4x over 1h and 5m
    if burn_rate < page.factor:
        return  # covered by the "below the rate" test
    outage_at = 2 * HOUR  # the long window is full of clean traffic when the outage starts
    good, total = stream(error_ratio, outage_at, 4 * HOUR)
    fired = first_fire(pair_burn(events_from_rates(good, total), page, objective), page.factor)
    # Workbook ch. 5: detection time = long window × factor / burn rate (the short window fills sooner).
    detection = page.long.total_seconds() * page.factor / burn_rate
    assert fired is not None
    # Samples are 15 s apart, so the alert comes at the first sample at or after the detection time.
    assert fired - outage_at == math.ceil(detection / STEP - 1e-9) * STEP


def test_a_total_outage_of_a_999_budget_pages_within_52_seconds_and_one_sample() -> None:
    objective = slo(99.9)
    good, total = stream(1.0, 2 * HOUR, 3 * HOUR)
    fired = first_fire(pair_burn(events_from_rates(good, total), WORKBOOK_WINDOWS[0], objective), 14.4)
    assert fired is not None
    # 1000x burn: 3600 s × 14.4 / 1000 = 51.84 s, so the 4th 15-second sample (60 s) fires.
    assert fired - 2 * HOUR == 60.0


@settings(max_examples=60, deadline=None)
@given(share_of_factor=st.floats(min_value=0.0, max_value=0.98), pair=st.sampled_from(WORKBOOK_WINDOWS),
       target=st.sampled_from([99.0, 99.9]))
def test_a_burn_below_the_pairs_factor_never_fires_it(share_of_factor: float, pair: object, target: float) -> None:
    from vigil.plan.slo import BurnWindow

    assert isinstance(pair, BurnWindow)
    objective = slo(target)
    error_ratio = min(1.0, share_of_factor * pair.factor * objective.allowed)
    good, total = stream(error_ratio, 0.0, 24 * HOUR)
    values = pair_burn(events_from_rates(good, total), pair, objective)
    assert first_fire(values, pair.factor) is None
    assert np.nanmax(values.values) < pair.factor


@settings(max_examples=30, deadline=None)
@given(rate=st.floats(min_value=0.0001, max_value=0.02))
def test_a_handful_of_failing_requests_never_pages(rate: float) -> None:
    """At most 0.02 req/s: fewer than 100 requests in any 5-minute window, all of them failing."""
    objective = slo(99.9, min_events=100)
    good, total = stream(1.0, 0.0, 4 * HOUR, rate=rate)
    for pair in WORKBOOK_WINDOWS[:1]:
        assert first_fire(pair_burn(events_from_rates(good, total), pair, objective), pair.factor) is None


def test_the_traffic_guard_counts_both_windows() -> None:
    objective = slo(99.9, min_events=100)
    good, total = stream(1.0, 2 * HOUR, 3 * HOUR, rate=1.0)  # 300 requests per 5 m: enough
    pair = WORKBOOK_WINDOWS[0]
    assert first_fire(pair_burn(events_from_rates(good, total), pair, objective), pair.factor) is not None
    fewer = slo(99.9, min_events=301)  # more than any 5-minute window holds
    assert first_fire(pair_burn(events_from_rates(good, total), pair, fewer), pair.factor) is None


def test_a_gap_in_the_data_is_not_filled_with_invented_traffic() -> None:
    ts = np.concatenate((np.arange(15, 615, 15), np.arange(10_000, 10_600, 15))).astype(float)
    events = events_from_rates(Series(ts, np.full(ts.size, 10.0)), Series(ts, np.full(ts.size, 10.0)))
    assert events.seconds.max() <= 3 * 15
    assert timedelta(seconds=float(events.seconds.sum())) < timedelta(minutes=25)
