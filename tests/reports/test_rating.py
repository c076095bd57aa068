"""The rating rule over generated checkpoint outcomes: a release is never rated better than its evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vigil.reports.monitoring_log import CheckpointView
from vigil.reports.rating import Rating, Result, rate

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ORDER = [Rating.POOR, Rating.NEEDS_IMPROVEMENT, Rating.SATISFACTORY, Rating.GOOD, Rating.EXCELLENT]


def views(healths: list[str], pending: int) -> tuple[list[CheckpointView], list[CheckpointView]]:
    done = [CheckpointView(f"T+{i}m", T0 + timedelta(minutes=i), "evaluated", health=h)
            for i, h in enumerate(healths)]
    later = [CheckpointView(f"T+{100 + i}m", T0 + timedelta(minutes=100 + i), "pending") for i in range(pending)]
    return done, later


@given(healths=st.lists(st.sampled_from(["healthy", "warning", "critical", "unknown"]), max_size=12),
       pending=st.integers(0, 3), rollback=st.sampled_from([None, True, False]))
def test_no_rating_is_better_than_the_evidence(healths: list[str], pending: int, rollback: bool | None) -> None:
    done, later = views(healths, pending)
    event: Any = None if rollback is None else SimpleNamespace(verified=rollback)
    result, rating = rate(done, later, event)
    unknown = healths.count("unknown")
    if event is not None:
        assert result is Result.ROLLBACK and rating in (Rating.NEEDS_IMPROVEMENT, Rating.POOR)
        return
    if not healths or pending:
        assert result is Result.IN_PROGRESS and rating is None  # nothing is rated before it is due
        return
    assert rating is not None
    if 2 * unknown > len(healths):
        assert result is Result.NOT_ESTABLISHED and rating is Rating.POOR
    if unknown or "critical" in healths:
        assert ORDER.index(rating) <= ORDER.index(Rating.SATISFACTORY) and result is not Result.SUCCESS
    if "warning" in healths:
        assert rating is not Rating.EXCELLENT and result is not Result.SUCCESS
    if result is Result.SUCCESS:
        assert set(healths) == {"healthy"}
