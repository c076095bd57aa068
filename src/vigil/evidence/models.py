"""Archived evidence: one row per artefact; the bytes live on disk under their SHA-256.

The row outlives the file: purging an expired item deletes its bytes (unless another live item shares
them) and leaves the row as a tombstone (``purged_at``/``purged_by``), so the archive can still say what
existed, for how long, and who removed it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp


@tracked()
class EvidenceItem(Base):
    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    creator: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    retain_until: Mapped[datetime] = mapped_column(UTCTimestamp, index=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_reason: Mapped[str] = mapped_column(Text, default="")
    purged_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    purged_by: Mapped[str | None] = mapped_column(String(200))

    requirements: Mapped[list[EvidenceRequirement]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="EvidenceRequirement.requirement_id",
    )

    @property
    def requirement_ids(self) -> list[str]:
        return [r.requirement_id for r in self.requirements]

    @property
    def purged(self) -> bool:
        return self.purged_at is not None


@tracked()
class EvidenceRequirement(Base):
    """Which requirement IDs an item supports (a link table, so the gate can query by ID on any database)."""

    __tablename__ = "evidence_requirements"
    __table_args__ = (UniqueConstraint("evidence_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    requirement_id: Mapped[str] = mapped_column(String(20), index=True)

    item: Mapped[EvidenceItem] = relationship(back_populates="requirements")
