"""Metric statuses and how values are shown: light (no numpy), for the commands and pages that only read."""

from __future__ import annotations

STATUS_ORDER = {"ok": 0, "warning": 1, "no_data": 2, "critical": 3}
STATUS_ICON = {"ok": "✅", "warning": "⚠️", "critical": "🚨", "no_data": "❔"}

__all__ = ["STATUS_ICON", "STATUS_ORDER", "fmt"]


def fmt(value: float | None, unit: str) -> str:
    """A value the way the log shows it: ``0.04%``, ``212ms``, ``1,180/min``."""
    if value is None:
        return "no data"
    digits = 4 if abs(value) < 0.01 else 3 if abs(value) < 1 else 1 if abs(value) < 100 else 0
    number = f"{value:,.{digits}f}"
    if unit in {"%", "ms"}:
        return f"{number}{unit}"
    if unit.startswith("$"):
        return f"${number}{unit[1:]}"
    return f"{number} {unit}".strip() if unit and not unit.startswith("/") else f"{number}{unit}"
