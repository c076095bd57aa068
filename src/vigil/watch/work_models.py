"""Durable follow-up work: a side effect that something stored made due, done exactly once by a watcher.

A checkpoint's transaction records the smoke run it makes due; a rollback's completion records its
verification, due after the plan's delay. Nothing is done in memory and nothing sleeps in place: a watcher
claims a due row with a lease (``lease_until``), does the work, and records its result in the same
transaction that marks the row done, on condition that its claim (``token``) still stands. A worker that
dies holding a claim just lets the lease run out; the next watcher claims it again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.base import Base
from vigil.store.types import UTCTimestamp


class WorkKind(StrEnum):
    SMOKE = "smoke"  # key: the checkpoint's name
    VERIFY_ROLLBACK = "verify_rollback"  # key: the rollback event's id


class WorkState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"


class DueWork(Base):
    __tablename__ = "due_work"
    __table_args__ = (UniqueConstraint("release_id", "kind", "key", name="uq_due_work"),
                      Index("ix_due_work_state_due", "state", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))
    kind: Mapped[str] = mapped_column(String(30))  # WorkKind
    key: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    state: Mapped[str] = mapped_column(String(12), default=WorkState.PENDING)  # WorkState
    lease_until: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    token: Mapped[str | None] = mapped_column(String(32))
    claims: Mapped[int] = mapped_column(Integer, default=0)  # how many times it was claimed
    done_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    result: Mapped[str] = mapped_column(Text, default="")
