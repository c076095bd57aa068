"""Who may read what: the one rule the pages and the API apply to every read.

- A person reads the releases they hold a role on (any role: ``viewer`` is read-only on its release).
- An ``auditor`` (an organisation-wide role, ``vigil user add NAME --role auditor``) reads every release
  and writes nothing.
- Anyone else signed in sees the overview with none of the releases, and 403 on a release's pages.
- A server started with ``--public-read`` lets everyone read everything (a deliberate choice for a wall
  screen); writes are unaffected.
Things that belong to no release (an incident opened without one) are for auditors.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.access.models import OrganisationRole
from vigil.errors import PermissionDenied
from vigil.releases.models import ReleaseRole

AUDITOR = "auditor"
ORGANISATION_ROLES = {AUDITOR: "Auditor"}


@dataclass(frozen=True)
class ReadScope:
    """The releases one caller may read: every one, or those listed."""

    everything: bool
    release_ids: frozenset[int] = frozenset()

    def allows(self, release_id: int | None) -> bool:
        return self.everything or (release_id is not None and release_id in self.release_ids)

    def ensure(self, release_id: int | None, what: str) -> None:
        if not self.allows(release_id):
            raise PermissionDenied(
                f"you hold no role on this release, so you may not read its {what} "
                "(a role on the release, or the organisation-wide auditor role, allows it)"
            )


EVERYTHING = ReadScope(everything=True)
NOTHING = ReadScope(everything=False)


def read_scope(session: Session, person_id: int | None, *, public: bool = False) -> ReadScope:
    if public:
        return EVERYTHING
    if person_id is None:
        return NOTHING
    if organisation_roles(session, person_id) & {AUDITOR}:
        return EVERYTHING
    held = session.scalars(select(ReleaseRole.release_id).where(ReleaseRole.person_id == person_id))
    return ReadScope(everything=False, release_ids=frozenset(held))


def organisation_roles(session: Session, person_id: int) -> set[str]:
    return set(session.scalars(select(OrganisationRole.role).where(OrganisationRole.person_id == person_id)))
