"""Users (the ``people`` of releases), their roles, and API tokens.

Users are the same people the releases name and ``vigil.releases.roles.authorize`` checks: one model for
the CLI's governance checks and the web server. A token authenticates a person; what they may do is
decided per release by the roles they hold there.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigil.access.models import ApiToken, OrganisationRole
from vigil.errors import Conflict, NotFound, VigilError
from vigil.releases.models import Person, ReleaseRole
from vigil.releases.roles import ROLE_TITLES
from vigil.releases.service import SYSTEM_ACTOR, get_release
from vigil.store import Store
from vigil.store.audit import append as audit

TOKEN_PREFIX = "vgl_"


@dataclass(frozen=True)
class Identity:
    """Who a request acts as: the person and the token that proved it."""

    person_id: int
    name: str
    token_id: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(
    store: Store,
    name: str,
    now: datetime,
    *,
    email: str | None = None,
    role: str | None = None,
    release: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> Person:
    """Create (or update the e-mail of) a person; with ``role`` and ``release``, grant that role there;
    with the organisation-wide role ``auditor`` (no release), grant it everywhere."""
    from vigil.access.reading import ORGANISATION_ROLES

    organisation_wide = role in ORGANISATION_ROLES
    if organisation_wide and release is not None:
        raise VigilError(f"'{role}' is held across the organisation: give it without --release")
    if not organisation_wide and (role is None) != (release is None):
        raise VigilError("give --role and --release together (a role is held in one release)")
    if role is not None and role not in ROLE_TITLES and not organisation_wide:
        known = ", ".join([*ROLE_TITLES, *ORGANISATION_ROLES])
        raise VigilError(f"unknown role '{role}' (one of: {known})")
    name = name.strip()
    if not name:
        raise VigilError("a user needs a name")
    with store.write() as session:
        person = session.scalar(select(Person).where(Person.name == name))
        if person is None:
            person = Person(name=name, email=email)
            session.add(person)
            session.flush()
            audit(
                session,
                at=now,
                actor=actor,
                action="user.added",
                entity="person",
                entity_id=person.id,
                payload={"name": name, "email": email},
            )
        elif email and email != person.email:
            person.email = email
            audit(
                session,
                at=now,
                actor=actor,
                action="user.updated",
                entity="person",
                entity_id=person.id,
                payload={"email": email},
            )
        if role is not None and release is not None:
            _grant(session, person, role, release, now, actor)
        elif role is not None:
            _grant_organisation_role(session, person, role, now, actor)
    return person


def _grant_organisation_role(session: Session, person: Person, role: str, now: datetime, actor: str) -> None:
    if session.get(OrganisationRole, (person.id, role)) is not None:
        return
    session.add(OrganisationRole(person_id=person.id, role=role, granted_at=now))
    session.flush()
    audit(session, at=now, actor=actor, action="role.granted", entity="person", entity_id=person.id,
          payload={"person": person.name, "role": role, "scope": "organisation"})


def _grant(session: Session, person: Person, role: str, release_ref: str, now: datetime, actor: str) -> None:
    release = get_release(session, release_ref)
    held = session.scalar(
        select(ReleaseRole.id).where(
            ReleaseRole.release_id == release.id, ReleaseRole.person_id == person.id, ReleaseRole.role == role
        )
    )
    if held is not None:
        return
    session.add(ReleaseRole(release_id=release.id, person_id=person.id, role=role))
    session.flush()
    audit(
        session,
        at=now,
        actor=actor,
        action="role.granted",
        entity="person",
        entity_id=person.id,
        release_id=release.id,
        payload={"person": person.name, "role": role},
    )


def remove_role(
    store: Store, name: str, role: str, now: datetime, *, release: str | None = None, actor: str = SYSTEM_ACTOR
) -> None:
    """Take a role away (per release, or ``auditor`` organisation-wide). Audited, so it moves the store
    version: what it allowed ends at the holder's next request, in every open session."""
    from vigil.access.reading import ORGANISATION_ROLES

    with store.write() as session:
        person = _person(session, name)
        if role in ORGANISATION_ROLES:
            held_org = session.get(OrganisationRole, (person.id, role))
            if held_org is None:
                raise NotFound(f"{name} does not hold the {role} role")
            session.delete(held_org)
            release_id = None
        else:
            if release is None:
                raise VigilError(f"give --release: '{role}' is held in one release")
            release_id = get_release(session, release).id
            held = session.scalar(select(ReleaseRole).where(
                ReleaseRole.release_id == release_id, ReleaseRole.person_id == person.id, ReleaseRole.role == role))
            if held is None:
                raise NotFound(f"{name} is not {role} of {release}")
            session.delete(held)
        session.flush()
        audit(session, at=now, actor=actor, action="role.removed", entity="person", entity_id=person.id,
              release_id=release_id, payload={"person": person.name, "role": role})


def create_token(
    store: Store, person_name: str, now: datetime, *, label: str = "api", actor: str = SYSTEM_ACTOR
) -> tuple[ApiToken, str]:
    """A new token for a person; returns the record and the plain token, which exists only here."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.write() as session:
        person = _person(session, person_name)
        token = ApiToken(
            person_id=person.id, name=label, token_hash=hash_token(plain), prefix=plain[:10], created_at=now
        )
        session.add(token)
        session.flush()
        audit(
            session,
            at=now,
            actor=actor,
            action="token.created",
            entity="api_token",
            entity_id=token.id,
            payload={"person": person.name, "name": label, "prefix": token.prefix},
        )
    return token, plain


def revoke_token(store: Store, token_id: int, now: datetime, *, actor: str = SYSTEM_ACTOR) -> ApiToken:
    with store.write() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"no API token #{token_id} (`vigil user list` shows them)")
        if token.revoked_at is not None:
            raise Conflict(f"token #{token_id} was already revoked")
        token.revoked_at = now
        from vigil.access.sessions import end_sessions_of_token  # sessions imports Identity from here

        ended = end_sessions_of_token(session, token.id, now)
        audit(
            session,
            at=now,
            actor=actor,
            action="token.revoked",
            entity="api_token",
            entity_id=token.id,
            payload={"person": token.person.name, "prefix": token.prefix, "sessions_ended": ended},
        )
    return token


def identify(session: Session, plain: str) -> Identity | None:
    """The person a presented token belongs to, or None (unknown, malformed or revoked)."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    row = session.execute(
        select(ApiToken.id, Person.id, Person.name)
        .join(Person, Person.id == ApiToken.person_id)
        .where(ApiToken.token_hash == hash_token(plain), ApiToken.revoked_at.is_(None))
    ).first()
    return Identity(person_id=row[1], name=row[2], token_id=row[0]) if row else None


def identity_by_token_id(session: Session, token_id: int) -> Identity | None:
    """Re-check a signed-in browser session: its token must still exist and not be revoked."""
    row = session.execute(
        select(ApiToken.id, Person.id, Person.name)
        .join(Person, Person.id == ApiToken.person_id)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    ).first()
    return Identity(person_id=row[1], name=row[2], token_id=row[0]) if row else None


def mark_used(store: Store, token_id: int, now: datetime) -> None:
    with store.write() as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def list_people(session: Session) -> list[tuple[Person, list[tuple[str, str]]]]:
    """Every person with their (release slug, role) pairs."""
    from vigil.releases.models import Release

    people = list(session.scalars(select(Person).order_by(Person.name)))
    rows = session.execute(
        select(ReleaseRole.person_id, Release.slug, ReleaseRole.role).join(
            Release, Release.id == ReleaseRole.release_id
        )
    ).all()
    by_person: dict[int, list[tuple[str, str]]] = {}
    for person_id, slug, role in rows:
        by_person.setdefault(person_id, []).append((slug, role))
    return [(p, sorted(by_person.get(p.id, []))) for p in people]


def _person(session: Session, name: str) -> Person:
    person = session.scalar(select(Person).where(Person.name == name))
    if person is None:
        raise NotFound(f"no user '{name}' (add one with `vigil user add NAME --email ...`)")
    return person
