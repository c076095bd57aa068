"""How values, times and choices are written in reports: one place, so every report agrees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from vigil.analysis.statuses import STATUS_ICON, fmt

HEALTH_ICON = {"healthy": "✅", "warning": "⚠️", "critical": "🚨", "unknown": "❔"}
HEALTH_WORD = {"healthy": "Healthy", "warning": "Warning", "critical": "Critical", "unknown": "Unknown (no data)"}

__all__ = ["HEALTH_ICON", "HEALTH_WORD", "STATUS_ICON", "checkboxes", "fmt", "fmt_change", "zone_of"]


def zone_of(name: str) -> tzinfo:
    """The release's display zone: an IANA name, or ``UTC+01:00`` for a plan that only gave an offset."""
    if name.startswith("UTC") and len(name) > 3:
        sign = 1 if name[3] == "+" else -1
        hours, minutes = name[4:].split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    return UTC if name == "UTC" else ZoneInfo(name)


class Clockface:
    """Formats instants in one release's zone."""

    def __init__(self, zone_name: str) -> None:
        self.zone_name, self.zone = zone_name, zone_of(zone_name)

    def hm(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).strftime("%H:%M") if moment else "not recorded"

    def full(self, moment: datetime | None) -> str:
        if moment is None:
            return "not recorded"
        local = moment.astimezone(self.zone)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname() or self.zone_name}"


def checkboxes(options: list[str], chosen: str | set[str] | None) -> str:
    """The template's ``[x] A [ ] B`` choice lines, ticked from data."""
    picked = {chosen} if isinstance(chosen, str) else (chosen or set())
    return " ".join(f"[{'x' if option in picked else ' '}] {option}" for option in options)


def fmt_change(abs_change: float | None, pct: float | None, unit: str) -> str:
    if abs_change is None:
        return "no baseline"
    sign = "+" if abs_change >= 0 else "-"
    text = f"{sign}{fmt(abs(abs_change), unit)}"
    return f"{text} ({pct:+.1f}%)" if pct is not None else text
