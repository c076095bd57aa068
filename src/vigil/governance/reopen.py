"""Reopening a closed release: the Sponsor's explicit, audited act, with a reason.

The closure sign-off is voided, not deleted (it stays on record with who voided it, when and why), the
release becomes writable again, and PM-29 is unmet until the Sponsor approves closure once more; the
trace and the gate name the reopening.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from vigil.errors import Conflict, VigilError
from vigil.governance.models import Signoff, in_force
from vigil.releases.closed import mark_reopened
from vigil.releases.models import Release
from vigil.releases.roles import authorize
from vigil.releases.service import get_release
from vigil.store import Store
from vigil.store.audit import append as audit

REOPENERS = ("sponsor",)


def reopen(store: Store, release_ref: str | int, *, actor: str, now: datetime, reason: str) -> Release:
    """Void the closure approval and make the release writable again; Sponsor only, refusals audited."""
    if not reason.strip():
        raise VigilError("say why the release is reopened (--reason)")
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, REOPENERS, "reopen a closed release", now)
    with store.write() as session:
        release = get_release(session, release_id)
        if release.closed_at is None:
            raise Conflict(f"release {release.slug} is not closed; there is nothing to reopen")
        signoff = _closure(session, release)
        closed_at, closed_by = release.closed_at, release.closed_by
        mark_reopened(session, release)
        signoff.revoked_at, signoff.revoked_by, signoff.revoke_reason = now, actor, reason.strip()
        audit(session, at=now, actor=actor, action="release.reopened", entity="release", entity_id=release.id,
              release_id=release.id,
              payload={"reason": signoff.revoke_reason, "closed_at": closed_at.isoformat(), "closed_by": closed_by,
                       "voided_signoff": signoff.id, "closure_evidence": signoff.evidence_id})
        return release


def _closure(session: Session, release: Release) -> Signoff:
    signoff = in_force(session, release.id, "closure")
    if signoff is None:  # closed_at without its sign-off: the store was edited past the services
        raise Conflict(f"release {release.slug} is marked closed but has no closure approval in force")
    return signoff
