"""The governance IDs of the Post-Release step (seed 002): the only IDs evidence can be tagged with.

They live here, at the bottom of the governance stack, because ``archive`` is the one call that tags
evidence and every caller (CLI, reports, sealing of documents) goes through it; the traceability matrix in
``vigil.governance.requirements`` has one check per ID of this list, in this order.
"""

from __future__ import annotations

from collections.abc import Iterable

from vigil.errors import VigilError

REQUIREMENT_IDS = (
    "REQ-28", "REQ-29", "REQ-30", "PM-28", "PM-29", "PM-30",
    "DEP-02", "DEP-03", "OPS-01", "OPS-02", "OPS-03", "AUD-03",
)


class UnknownRequirement(VigilError):
    """A requirement ID that is not one of the Post-Release step's governance IDs."""


def requirement_id(text: str) -> str:
    """``text`` as a known ID (case and surrounding spaces do not matter); anything else is refused."""
    cleaned = text.strip().upper()
    if cleaned not in REQUIREMENT_IDS:
        raise UnknownRequirement(f"unknown requirement ID '{text.strip()}': the Post-Release step's IDs are "
                                 f"{', '.join(REQUIREMENT_IDS)}")
    return cleaned


def requirement_ids(texts: Iterable[str]) -> list[str]:
    """Each ID checked, duplicates dropped, sorted (blank entries are ignored, as a trailing comma would be)."""
    return sorted({requirement_id(t) for t in texts if t.strip()})
