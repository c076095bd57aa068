"""The last step every sign-off shares (handover accepted, closure approved): seal its document as
evidence, store the sign-off pointing at it, and audit both in the caller's transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from vigil.evidence.models import EvidenceItem
from vigil.evidence.service import seal
from vigil.governance.models import Signoff
from vigil.releases.models import Release
from vigil.store.audit import append as audit


def seal_signoff(session: Session, root: Path, release: Release, signoff: Signoff, *, text: str,
                 evidence_kind: str, requirement: str, action: str) -> EvidenceItem:
    item = seal(session, root, release.id, kind=evidence_kind, requirement_ids=[requirement],
                content=text.encode(), filename=f"{signoff.kind}-{release.slug}.md", media_type="text/markdown",
                creator=signoff.person, now=signoff.signed_at)
    signoff.evidence_id = item.id
    session.add(signoff)
    session.flush()
    audit(session, at=signoff.signed_at, actor=signoff.person, action=action, entity="signoff",
          entity_id=signoff.id, release_id=release.id,
          payload={"evidence_id": item.id, "sha256": item.sha256, "note": signoff.note})
    return item
