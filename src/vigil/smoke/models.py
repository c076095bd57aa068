"""A smoke run (HTTP checks from the plan, or an imported JUnit file) and its per-check results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp


@tracked()
class SmokeRun(Base):
    __tablename__ = "smoke_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    source: Mapped[str] = mapped_column(String(10))  # http | junit
    trigger: Mapped[str] = mapped_column(String(40))  # deployment | a checkpoint name | import
    started_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    finished_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    actor: Mapped[str] = mapped_column(String(200))
    total: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_items.id"))

    results: Mapped[list[SmokeResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="SmokeResult.position", lazy="selectin"
    )

    @property
    def passed(self) -> bool:
        return self.failed == 0 and self.total > self.skipped


@tracked()
class SmokeResult(Base):
    __tablename__ = "smoke_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("smoke_runs.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(10))  # passed | failed | error | skipped
    duration_ms: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status_code: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")

    run: Mapped[SmokeRun] = relationship(back_populates="results")
