"""Incidents (ICT tickets) and their timeline of actions.

The incident's clock is seven timestamps; ``vigil.incidents.service`` keeps the ordered ones in order and
audits every edit. The RCA document and the DORA classification inputs are structured JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp

SEVERITIES = ("critical", "high", "medium", "low")
STATUSES = ("open", "investigating", "resolved", "closed")
# The incident's clock, in its usual order; which steps must precede which is ``vigil.incidents.clock.ORDER``.
CLOCK = (
    "impact_started_at",
    "detected_at",
    "acknowledged_at",
    "investigating_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
)


@tracked()
class Incident(Base):
    __tablename__ = "incidents"
    # The overview counts open incidents for a page of releases: (release, status) answers that from the
    # index alone, where either column's own index would read every open incident or every row per release.
    __table_args__ = (Index("ix_incidents_release_id_status", "release_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(40), unique=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id"))
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    user_impact: Mapped[str] = mapped_column(Text, default="")
    business_impact: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))  # alert | manual

    impact_started_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    detected_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    investigating_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    closed_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))

    root_cause_category: Mapped[str | None] = mapped_column(String(40))
    root_cause_change: Mapped[str | None] = mapped_column(String(200))
    root_cause: Mapped[str] = mapped_column(Text, default="")
    prevention: Mapped[str] = mapped_column(Text, default="")
    rca: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    dora: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentEvent.id"
    )


@tracked()
class IncidentEvent(Base):
    """One entry of the incident's timeline: an action, a status change, a note or a clock edit."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCTimestamp)
    author: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # opened | status | note | action | clock | rca | link
    text: Mapped[str] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="events")
