"""Releases, the plan snapshot each one was registered with, and the people holding roles in it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp

RELEASE_STATES = ("watching", "rolled_back", "completed")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))


@tracked()
class PlanSnapshot(Base):
    """The plan exactly as it was when the release was registered; later edits of the file don't matter."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_path: Mapped[str] = mapped_column(Text)
    source_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)


@tracked()
class Release(Base):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    service: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[str] = mapped_column(String(100))
    baseline_version: Mapped[str | None] = mapped_column(String(100))
    deployment_method: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCTimestamp, index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="watching", index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    # Set when the Sponsor approves closure, cleared when the Sponsor reopens it: while set, nothing of the
    # release can be written (vigil.releases.closed).
    closed_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    closed_by: Mapped[str | None] = mapped_column(String(200))

    plan: Mapped[PlanSnapshot] = relationship(lazy="joined")
    roles: Mapped[list[ReleaseRole]] = relationship(back_populates="release", cascade="all, delete-orphan")


@tracked()
class ReleaseRole(Base):
    __tablename__ = "release_roles"
    __table_args__ = (UniqueConstraint("release_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))

    release: Mapped[Release] = relationship(back_populates="roles")
    person: Mapped[Person] = relationship(lazy="joined")


# The read-only rule for closed releases listens on every session; it is registered with the models so no
# process that can write a release record runs without it.
from vigil.releases import closed as _closed  # noqa: E402,F401
