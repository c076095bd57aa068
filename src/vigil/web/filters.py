"""Jinja2 filters for the pages: times in the release's zone, numbers with units, CSS classes."""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment

from vigil.analysis.judgement import fmt
from vigil.reports.formatting import zone_of

HEALTH_CLASS = {
    "healthy": "ok",
    "warning": "warn",
    "critical": "crit",
    "unknown": "unknown",
    "pending": "pending",
    "skipped": "pending",
}


def local_time(moment: datetime | None, zone: str, pattern: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(zone_of(zone))
    return f"{local.strftime(pattern)} {local.tzname() or zone}"


def install_filters(env: Environment) -> None:
    env.filters["local"] = local_time
    env.filters["value"] = lambda v, unit="": "—" if v is None else fmt(v, unit)
    env.filters["health_class"] = lambda h: HEALTH_CLASS.get(h or "", "unknown")
    env.filters["pct"] = lambda v: "—" if v is None else f"{v:+.1f}%"
