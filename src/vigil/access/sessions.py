"""Browser sessions kept server-side, so they can be ended at once: by signing out, by revoking the token
they were opened with, or by expiry. The cookie holds a random session id (signed, like any cookie of
ours); the store keeps only its SHA-256, so a copy of the database cannot be replayed as a cookie.

Starting and ending a session are audited: the entries say who signed in, from where, with which token,
and they move the store version, so an identity the web layer kept for a session is looked up again."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigil.access.models import ApiToken, WebSession
from vigil.access.service import Identity
from vigil.releases.models import Person
from vigil.store import Store
from vigil.store.audit import append as audit


class EndedWhy(StrEnum):
    LOGOUT = "logout"
    TOKEN_REVOKED = "token_revoked"


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def start_session(store: Store, who: Identity, address: str, now: datetime, lifetime: timedelta) -> str:
    """A new session for a person who just proved themselves with a token; returns the plain session id."""
    sid = secrets.token_urlsafe(32)
    with store.write() as session:
        row = WebSession(
            sid_hash=_digest(sid), token_id=who.token_id, address=address[:100], created_at=now,
            expires_at=now + lifetime,
        )
        session.add(row)
        session.flush()
        audit(session, at=now, actor=who.name, action="session.started", entity="web_session", entity_id=row.id,
              payload={"via": "api_token", "token_id": who.token_id, "address": address[:100]})
    return sid


def end_session(store: Store, sid: str, now: datetime, why: EndedWhy = EndedWhy.LOGOUT) -> bool:
    """End the session with id ``sid``; False if it had already ended (or never existed)."""
    with store.write() as session:
        row = session.scalar(select(WebSession).where(WebSession.sid_hash == _digest(sid)))
        if row is None or row.ended_at is not None:
            return False
        row.ended_at, row.ended_why = now, why.value
        person = session.scalar(select(Person.name).join(ApiToken).where(ApiToken.id == row.token_id))
        audit(session, at=now, actor=person or "unknown", action="session.ended", entity="web_session",
              entity_id=row.id, payload={"why": why.value})
    return True


def end_sessions_of_token(session: Session, token_id: int, now: datetime) -> int:
    """Inside the revoking transaction: every open session opened with the token ends with it."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.token_id == token_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, ended_why=EndedWhy.TOKEN_REVOKED.value)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def session_identity(session: Session, sid: str) -> tuple[Identity, datetime] | None:
    """The person behind an open session and when it expires, or None (unknown, ended, token revoked)."""
    row = session.execute(
        select(ApiToken.id, Person.id, Person.name, WebSession.expires_at)
        .join(ApiToken, ApiToken.id == WebSession.token_id)
        .join(Person, Person.id == ApiToken.person_id)
        .where(WebSession.sid_hash == _digest(sid), WebSession.ended_at.is_(None), ApiToken.revoked_at.is_(None))
    ).first()
    return (Identity(person_id=row[1], name=row[2], token_id=row[0]), row[3]) if row else None
