"""API tokens and server secrets. The people themselves are ``vigil.releases.models.Person``.

A token's plain text is shown once when it is created and never stored: only its SHA-256 is kept, so a
copy of the database does not let anyone act as anyone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.releases.models import Person
from vigil.store.base import Base
from vigil.store.types import UTCTimestamp


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to tell tokens apart in lists
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)

    person: Mapped[Person] = relationship(lazy="joined")


class ServerSecret(Base):
    """Secrets the server generates for itself (the session-cookie signing key), kept with the data."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)


class WebSession(Base):
    """A browser sign-in. The cookie carries a random session id; only its SHA-256 is kept here, and a
    session counts only while it has not ended (logout, its token revoked) and has not expired."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    address: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    expires_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    ended_at: Mapped[datetime | None] = mapped_column(UTCTimestamp)
    ended_why: Mapped[str | None] = mapped_column(String(30))


class OrganisationRole(Base):
    """A role held across every release (``auditor``: reads everything, writes nothing)."""

    __tablename__ = "organisation_roles"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCTimestamp)
