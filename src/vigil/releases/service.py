"""Registering and finding releases; the people and roles that come with them."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import Conflict, NotFound, VigilError
from vigil.releases.models import Person, PlanSnapshot, Release, ReleaseRole
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.store.types import record_number

if TYPE_CHECKING:  # the plan's models are imported only where a plan is used: `release list` needs none
    from vigil.plan import Plan
    from vigil.plan.schema import Person as PlanPerson

SYSTEM_ACTOR = "vigil"
# A slug is one URL path segment and never a number, so `/releases/REF` and `vigil … REF` mean one release:
# an all-digit REF is a release number, anything else a slug.
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
SLUG_RULE = "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 80, not all digits"


class InvalidSlug(VigilError):
    """A release slug outside the documented character set."""


def check_slug(slug: str) -> str:
    if not SLUG_PATTERN.fullmatch(slug) or slug.isdigit():
        raise InvalidSlug(f"release slug {slug!r} is not allowed: use {SLUG_RULE}")
    return slug


def slug_for(plan: Plan) -> str:
    raw = f"{plan.release.service}-{plan.release.version}"
    slug = re.sub(r"[^a-z0-9_.-]+", "-", raw.lower()).strip("-._")[:80].rstrip("-._") or "release"
    return f"release-{slug}" if slug.isdigit() else slug


def create_release(store: Store, plan: Plan, source_text: str, source_path: str, *, now: datetime,
                   actor: str = SYSTEM_ACTOR, slug: str | None = None) -> Release:
    """Register a release with its plan snapshot and people; one transaction, audited."""
    slug = check_slug(slug) if slug is not None else slug_for(plan)
    info = plan.release
    with store.write() as session:
        if session.scalar(select(Release.id).where(Release.slug == slug)) is not None:
            raise Conflict(f"a release named '{slug}' already exists")
        snapshot = PlanSnapshot(sha256=hashlib.sha256(source_text.encode()).hexdigest(),
                                source_path=source_path, source_text=source_text, created_at=now)
        release = Release(slug=slug, name=info.name, service=info.service, version=info.version,
                          baseline_version=info.baseline_version, deployment_method=info.deployment_method,
                          started_at=info.date, timezone=info.timezone or _offset_zone(info.date),
                          status="watching", plan=snapshot, created_at=now)
        session.add(release)
        session.flush()
        for role, person in _roles(plan):
            session.add(ReleaseRole(release_id=release.id, role=role,
                                    person_id=_person(session, person.name, person.email).id))
        audit(session, at=now, actor=actor, action="release.created", entity="release", entity_id=release.id,
              release_id=release.id, payload={"slug": slug, "plan_sha256": snapshot.sha256,
                                              "method": info.deployment_method, "version": info.version})
    return release


def unique_slug(store: Store, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever is free (the demo can run many times on one store)."""
    with store.read() as session:
        taken = set(session.scalars(select(Release.slug).where(Release.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def get_release(session: Session, ref: str | int) -> Release:
    """Find a release by number (all ASCII digits) or slug (never all digits: ``check_slug``)."""
    text = str(ref)
    number = record_number(text)
    query = select(Release).where(Release.id == number if number is not None else Release.slug == text)
    release = session.scalar(query)
    if release is None:
        raise NotFound(f"no release '{ref}' (give its slug or number; `vigil release list` shows them)")
    return release


def list_releases(session: Session, status: str | None = None) -> list[Release]:
    query = select(Release).order_by(Release.started_at.desc(), Release.id.desc())
    if status:
        query = query.where(Release.status == status)
    return list(session.scalars(query))


def plan_of(release: Release) -> Plan:
    """The release's plan, parsed once per snapshot for the whole process (``vigil.plan.cache``)."""
    from vigil.plan.cache import snapshot_plan

    snapshot = release.plan
    return snapshot_plan(snapshot.sha256, lambda: (snapshot.source_text, snapshot.source_path))


def people_by_role(release: Release) -> dict[str, list[Person]]:
    out: dict[str, list[Person]] = {}
    for role in release.roles:
        out.setdefault(role.role, []).append(role.person)
    return out


def checkpoint_due(release: Release, offset: timedelta) -> datetime:
    return release.started_at + offset


def _roles(plan: Plan) -> list[tuple[str, PlanPerson]]:
    people = plan.people
    pairs: list[tuple[str, PlanPerson]] = [("release_owner", people.release_owner),
                                       ("monitoring_owner", people.monitoring_owner)]
    if people.service_owner:
        pairs.append(("service_owner", people.service_owner))
    if people.sponsor:
        pairs.append(("sponsor", people.sponsor))
    pairs += [("participant", p) for p in people.participants]
    return pairs


def _person(session: Session, name: str, email: str | None) -> Person:
    person = session.scalar(select(Person).where(Person.name == name))
    if person is None:
        person = Person(name=name, email=email)
        session.add(person)
        session.flush()
    elif email and not person.email:
        person.email = email
    return person


def _offset_zone(moment: datetime) -> str:
    """A zone name for a plan that gave only an offset: ``UTC+01:00``."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
