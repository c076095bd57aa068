"""Each SLO's error-budget figures at a checkpoint, stored with it (same transaction, same fate)."""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.base import Base


class SloBudget(Base):
    """The raw counts are kept beside the derived shares so a reader can redo the arithmetic."""

    __tablename__ = "slo_budgets"
    __table_args__ = (UniqueConstraint("checkpoint_id", "slo"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    slo: Mapped[str] = mapped_column(String(60))
    target: Mapped[float] = mapped_column(Float)  # percent
    window_seconds: Mapped[float] = mapped_column(Float)
    good: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    measured_seconds: Mapped[float] = mapped_column(Float)
    consumed: Mapped[float | None] = mapped_column(Float)  # share of the window's budget; None: no data
    remaining: Mapped[float | None] = mapped_column(Float)
    burn_rate: Mapped[float | None] = mapped_column(Float)
    burning: Mapped[list[str]] = mapped_column(JSON, default=list)  # page pairs burning at the checkpoint
    note: Mapped[str] = mapped_column(String(400), default="")  # why there is no data, when there is none
