"""Who may do what on a release. Every governance action and every API write goes through ``authorize``.

A refusal is audited in its own transaction before the error is raised, so the record of a refused
attempt survives even though the action itself never happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from vigil.errors import PermissionDenied
from vigil.releases.models import Person, ReleaseRole
from vigil.store import Store
from vigil.store.audit import append as audit

ROLE_TITLES = {
    "release_owner": "Release Owner",
    "monitoring_owner": "Monitoring Owner",
    "service_owner": "Service Owner",
    "sponsor": "Sponsor",
    "participant": "Participant",
    "viewer": "Viewer",
}


def roles_of(store: Store, release_id: int, person_name: str) -> set[str]:
    with store.read() as session:
        query = (select(ReleaseRole.role).join(Person, Person.id == ReleaseRole.person_id)
                 .where(ReleaseRole.release_id == release_id, Person.name == person_name))
        return set(session.scalars(query))


def authorize(store: Store, release_id: int, actor: str, allowed: Iterable[str], action: str,
              now: datetime) -> None:
    """Raise ``PermissionDenied`` (after auditing the refusal) unless ``actor`` holds an allowed role."""
    allowed = tuple(allowed)
    held = roles_of(store, release_id, actor)
    if held & set(allowed):
        return
    needed = " or ".join(ROLE_TITLES.get(r, r) for r in allowed)
    with store.write() as session:
        audit(session, at=now, actor=actor, action="permission.denied", entity="release", entity_id=release_id,
              release_id=release_id, payload={"action": action, "needs": list(allowed), "held": sorted(held)})
    raise PermissionDenied(f"{actor} may not {action}: only the {needed} of this release may do that")
