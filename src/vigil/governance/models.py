"""Sign-offs (the Service Owner's handover acceptance, the Sponsor's closure approval) and publications
of lessons learned. Each points at the sealed evidence of what was signed or published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, select
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp


@tracked()
class Signoff(Base):
    """A sign-off stays on record when a reopening voids it (``revoked_*``); one of each kind is in force."""

    __tablename__ = "signoffs"
    __table_args__ = (
        Index("ix_signoffs_in_force", "release_id", "kind", unique=True,
              sqlite_where=sa_text("revoked_at IS NULL"), postgresql_where=sa_text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # handover | closure
    person: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


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


def in_force(session: Session, release_id: int, kind: str) -> Signoff | None:
    """The release's ``kind`` sign-off (handover, closure) that a reopening has not voided; one at most."""
    return session.scalar(select(Signoff).where(Signoff.release_id == release_id, Signoff.kind == kind,
                                                Signoff.revoked_at.is_(None)))


def voided(session: Session, release_id: int, kind: str) -> list[Signoff]:
    """The release's ``kind`` sign-offs voided by a reopening, oldest first."""
    return list(session.scalars(select(Signoff).where(
        Signoff.release_id == release_id, Signoff.kind == kind, Signoff.revoked_at.is_not(None))
        .order_by(Signoff.revoked_at, Signoff.id)))


def signed_off(session: Session, release_id: int, kind: str) -> bool:
    """Whether the release has its ``kind`` sign-off in force."""
    return in_force(session, release_id, kind) is not None
