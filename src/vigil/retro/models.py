"""Retrospective, the learnings people add to it, and the action items tracked to completion."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp


class ActionState(StrEnum):
    OPEN = "open"
    DONE = "done"
    CARRIED_OVER = "carried_over"  # moved to later work, with a reason
    CANCELLED = "cancelled"  # no longer to be done, with a reason; not open for the gate


ACTION_STATES = tuple(ActionState)


@tracked()
class Retrospective(Base):
    __tablename__ = "retrospectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), unique=True)
    drafted_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    drafted_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    # Findings computed from the data: [{"category", "text", "source"}], refreshed on every draft.
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    learnings: Mapped[list[Learning]] = relationship(
        back_populates="retrospective", cascade="all, delete-orphan", order_by="Learning.id", lazy="selectin"
    )


@tracked()
class Learning(Base):
    __tablename__ = "retro_learnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    retrospective_id: Mapped[int] = mapped_column(ForeignKey("retrospectives.id"), index=True)
    category: Mapped[str] = mapped_column(String(10))  # worked | improve
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)

    retrospective: Mapped[Retrospective] = relationship(back_populates="learnings")


@tracked()
class ActionItem(Base):
    __tablename__ = "action_items"
    __table_args__ = (UniqueConstraint("release_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    assignee: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCTimestamp, index=True)
    status: Mapped[str] = mapped_column(String(15), default="open", index=True)
    # Where it comes from: "incident:12", "alert:7", "checkpoint:T+2h", or "" when typed in by a person.
    source: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was carried over or cancelled
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    created_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    closed_by: Mapped[str | None] = mapped_column(String(200))

    def overdue(self, now: datetime) -> bool:
        return self.status == "open" and self.due_at < now
