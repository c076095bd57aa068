"""A person's acknowledgement of one checkpoint's decision (who, in which role, when, with what note)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.releases.models import Person
from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp


@tracked()
class CheckpointAcknowledgement(Base):
    __tablename__ = "checkpoint_acknowledgements"
    __table_args__ = (UniqueConstraint("checkpoint_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    roles: Mapped[str] = mapped_column(String(200))  # the roles the person held when signing, comma-separated
    at: Mapped[datetime] = mapped_column(UTCTimestamp)
    note: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship(lazy="joined")
