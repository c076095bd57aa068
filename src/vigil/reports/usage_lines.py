"""The log's "Dashboard Usage" lines, in words, from the views the web server recorded (vigil.usage)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigil.reports.formatting import Clockface
from vigil.usage.service import UsageLine, usage_summary


def dashboard_usage_lines(session: Session, release_id: int, clock: Clockface) -> dict[str, str]:
    """The log template's "Dashboard Usage" lines, filled from the recorded views."""
    return {title: describe(line, clock) for title, line in usage_summary(session, release_id).items()}


def describe(line: UsageLine, clock: Clockface) -> str:
    """One line of the log's Dashboard Usage section, in words."""
    if line.views == 0:
        return "no dashboard views were recorded for this release"
    who = ", ".join(f"{name} ({n})" for name, n in line.people)
    if line.anonymous:
        who = (
            f"{who}, unauthenticated (public read) ({line.anonymous})"
            if who
            else f"unauthenticated (public read) ({line.anonymous})"
        )
    return (
        f"opened {line.views} time{'s' if line.views != 1 else ''} by {who}; "
        f"first {clock.full(line.first)}, last {clock.full(line.last)}"
    )
