"""Alerts, rule evaluation progress, notifications sent, the communication timeline and feedback.

An alert is de-duplicated by fingerprint while it is open: ``open_key`` holds the fingerprint until the
alert resolves and NULL afterwards, and is unique, so two producers firing the same fingerprint at once
cannot both insert (NULLs never collide, on SQLite or PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigil.incidents import models as _incidents  # noqa: F401  (an alert links its incident)
from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp

ALERT_STATES = ("firing", "acknowledged", "resolved")
RESOLUTIONS = ("cleared", "fixed", "not_an_issue")


@tracked(exclude=("last_seen_at", "occurrences"))
class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    service: Mapped[str] = mapped_column(String(200), default="")
    rule: Mapped[str] = mapped_column(String(200), index=True)
    severity: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(200), index=True)
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(40))  # rule | alertmanager | logs | source-outage | manual
    summary: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="firing", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    last_seen_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(20))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)


class RuleState(Base):
    """How far a release's rule has been evaluated, and the run of true samples it is in."""

    __tablename__ = "alert_rule_states"
    __table_args__ = (UniqueConstraint("release_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    rule: Mapped[str] = mapped_column(String(200))
    evaluated_until: Mapped[datetime] = mapped_column(UTCTimestamp)
    pending_since: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    last_sample_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)


class Notification(Base):
    """One message to one channel, with every delivery attempt (time, outcome, error) kept."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    event: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), index=True)  # DeliveryState
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    lease_until: Mapped[datetime | None] = mapped_column(UTCTimestamp)  # while "sending"
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)  # while "queued": not before
    sent_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)


@tracked()
class Communication(Base):
    """One step of the release's communication timeline (T+0 start notice … T+24h final result)."""

    __tablename__ = "communications"
    __table_args__ = (UniqueConstraint("release_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    step: Mapped[str] = mapped_column(String(40))  # e.g. T+15m-status
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    sent_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    delivery: Mapped[str] = mapped_column(Text)  # what happened to it, in words
    notification_ids: Mapped[list[int]] = mapped_column(JSON, default=list)


@tracked()
class Feedback(Base):
    __tablename__ = "stakeholder_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    communication_id: Mapped[int | None] = mapped_column(ForeignKey("communications.id"))
    team: Mapped[str] = mapped_column(String(100))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCTimestamp)
