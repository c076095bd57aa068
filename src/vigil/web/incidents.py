"""THE SEAM for incidents and alerts on the overview and the release dashboard.

This branch has no incident or alert tables (they come with the alerts+incidents work). These three
functions are the only place the pages ask for them; after merging, fill them from the incident and alert
services and the pages, the API and the benchmark pick the real figures up unchanged. Until then they say
plainly that there is no incident tracking data: never a made-up zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

NO_DATA = "no incident tracking data"


@dataclass(frozen=True)
class IncidentItem:
    kind: str  # incident | alert
    ref: str
    title: str
    severity: str
    state: str
    url: str | None = None


@dataclass(frozen=True)
class ReleaseIncidents:
    tracked: bool
    note: str
    incidents: list[IncidentItem] = field(default_factory=list)
    alerts: list[IncidentItem] = field(default_factory=list)


def open_incident_counts(session: Session, release_ids: Sequence[int]) -> dict[int, int] | None:
    """Open incidents per release for the overview; None while incidents are not tracked in this store."""
    return None


def release_incidents(session: Session, release_id: int) -> ReleaseIncidents:
    """The release's incidents and alerts for its dashboard."""
    return ReleaseIncidents(tracked=False, note=NO_DATA)


def incidents_version(session: Session, release_id: int | None) -> str | None:
    """Something that changes whenever the release's (None: any release's) incidents or alerts change,
    e.g. their count and latest update time; the cached overview and dashboard are rebuilt when it does.
    Changes that are audited already move the audit head, which the overview keys on. None: not tracked."""
    return None
