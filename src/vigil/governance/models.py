"""Sign-offs (the Service Owner's handover acceptance, the Sponsor's closure approval) and publications
of lessons learned. Each points at the sealed evidence of what was signed or published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp


@tracked()
class Signoff(Base):
    __tablename__ = "signoffs"
    __table_args__ = (UniqueConstraint("release_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # handover | closure
    person: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"))


@tracked()
class LessonsPublication(Base):
    __tablename__ = "lessons_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    published_by: Mapped[str] = mapped_column(String(200))
    knowledge_base: Mapped[str] = mapped_column(Text)
    page: Mapped[str] = mapped_column(Text)  # path relative to the knowledge base
    announced: Mapped[str] = mapped_column(String(200), default="")  # webhook result, or ""
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"))


def signed_off(session: Session, release_id: int, kind: str) -> bool:
    """Whether the release already has its ``kind`` sign-off (handover, closure); there is one at most."""
    return session.scalar(select(Signoff.id).where(Signoff.release_id == release_id, Signoff.kind == kind)) is not None
