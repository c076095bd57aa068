"""What evaluating a checkpoint leaves behind: the checkpoint, its readings, its decision, a rollback.

``(release_id, name)`` is unique, so evaluating the same checkpoint twice can never store it twice: the
second writer's insert fails inside its transaction and nothing of it is kept.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp


@tracked()
class Checkpoint(Base):
    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("release_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    offset_seconds: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    evaluated_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    state: Mapped[str] = mapped_column(String(20))  # evaluated | skipped
    traffic_percent: Mapped[float] = mapped_column(Float)
    window_start: Mapped[datetime] = mapped_column(UTCTimestamp)
    window_end: Mapped[datetime] = mapped_column(UTCTimestamp)
    note: Mapped[str] = mapped_column(Text, default="")

    readings: Mapped[list[MetricReading]] = relationship(
        back_populates="checkpoint", cascade="all, delete-orphan", order_by="MetricReading.position")
    decision: Mapped[Decision | None] = relationship(back_populates="checkpoint", uselist=False,
                                                     cascade="all, delete-orphan")


@tracked()
class MetricReading(Base):
    __tablename__ = "metric_readings"
    __table_args__ = (UniqueConstraint("checkpoint_id", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    current: Mapped[float | None] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    change_abs: Mapped[float | None] = mapped_column(Float)
    change_pct: Mapped[float | None] = mapped_column(Float)
    trend: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(10))  # ok | warning | critical | no_data
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)

    checkpoint: Mapped[Checkpoint] = relationship(back_populates="readings")


@tracked()
class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), unique=True)
    health: Mapped[str] = mapped_column(String(10))  # healthy | warning | critical | unknown
    go_no_go: Mapped[str] = mapped_column(String(10))  # continue | hold | rollback
    confidence: Mapped[str] = mapped_column(String(10))  # high | medium | low
    risk: Mapped[str] = mapped_column(String(10))  # low | medium | high
    recommendation: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[list[str]] = mapped_column(JSON)

    checkpoint: Mapped[Checkpoint] = relationship(back_populates="decision")


class RollbackState(StrEnum):
    DECIDED = "decided"
    STARTED = "started"  # its worker holds it until lease_until
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its worker died inside the action: a person settles it


@tracked()
class RollbackEvent(Base):
    """One per release at most: decided at a checkpoint, then executed exactly once (or failed)."""

    __tablename__ = "rollback_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), unique=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    reason: Mapped[str] = mapped_column(Text)
    decision_maker: Mapped[str] = mapped_column(String(200))
    decision_role: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(10))  # automatic | manual
    metrics_at_decision: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12))  # RollbackState
    action: Mapped[str] = mapped_column(Text, default="")
    output: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    completed_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    verified: Mapped[bool | None] = mapped_column(Boolean)
    verification: Mapped[str] = mapped_column(Text, default="")
    post_rollback_metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # While "started": the moment past which its worker is taken for dead (vigil.watch.rollback).
    lease_until: Mapped[datetime | None] = mapped_column(UTCTimestamp)

    checkpoint: Mapped[Checkpoint] = relationship()
