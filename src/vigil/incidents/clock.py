"""The incident clock's order: which of its seven steps really must come before which.

The steps are not a chain. An automatic rollback mitigates an incident before anyone acknowledges it, and
an alert that clears resolves it before a person gets to it; forcing one fixed sequence made people enter
false times. Only the pairs below are ordered; any two steps not linked here (acknowledged and mitigated,
acknowledged and resolved, investigating and mitigated…) may come in either order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from vigil.errors import Conflict

CLOCK_LABELS = {
    "impact_started_at": "impact started",
    "detected_at": "detected",
    "acknowledged_at": "acknowledged",
    "investigating_at": "investigation began",
    "mitigated_at": "mitigated",
    "resolved_at": "resolved",
    "closed_at": "closed",
}

# (earlier, later): ``later`` may never be before ``earlier`` when both are set.
ORDER: tuple[tuple[str, str], ...] = (
    # What is detected is an impact that had begun; nothing is done about an incident before it is detected.
    ("impact_started_at", "detected_at"),
    ("detected_at", "acknowledged_at"),
    ("detected_at", "investigating_at"),
    ("detected_at", "mitigated_at"),
    ("detected_at", "resolved_at"),
    # Resolved means the impact is over and confirmed, so its mitigation and investigation came first.
    ("mitigated_at", "resolved_at"),
    ("investigating_at", "resolved_at"),
    # Closing is the last act: every other step that happened came before it.
    ("acknowledged_at", "closed_at"),
    ("investigating_at", "closed_at"),
    ("mitigated_at", "closed_at"),
    ("resolved_at", "closed_at"),
)


def _closure(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Every pair the direct ones imply: impact ≤ detected ≤ mitigated also orders impact and mitigated,
    which matters when the step between them is not set."""
    out = set(pairs)
    while extra := {(a, d) for a, b in out for c, d in out if b == c} - out:
        out |= extra
    return tuple(sorted(out))


_ALL_ORDERED = _closure(ORDER)


def order_violations(clock: Mapping[str, datetime | None]) -> list[str]:
    """Every ordered pair the clock breaks, in words (empty when it is in order)."""
    broken = []
    for earlier, later in _ALL_ORDERED:
        first, then = clock.get(earlier), clock.get(later)
        if first is not None and then is not None and then < first:
            broken.append(f"{CLOCK_LABELS[later]} ({then.isoformat()}) cannot be before "
                          f"{CLOCK_LABELS[earlier]} ({first.isoformat()})")
    return broken


def check_order(clock: Mapping[str, datetime | None]) -> None:
    """Raise ``Conflict`` naming the first broken pair."""
    broken = order_violations(clock)
    if broken:
        raise Conflict(broken[0])
