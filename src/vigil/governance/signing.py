"""The flow every sign-off shares (handover accepted, closure approved).

The role is checked first, so a refusal is audited even when nothing else would pass. Then, in one
transaction: not signed already, the kind's own precondition (it raises), its document rendered with the
sign-off in it, the document sealed as evidence, the sign-off stored pointing at it, and both audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from vigil.errors import Conflict
from vigil.evidence.archive import read_blob
from vigil.evidence.models import EvidenceItem
from vigil.evidence.versions import seal_version
from vigil.governance.models import Signoff, signed_off
from vigil.releases.models import Release
from vigil.releases.roles import authorize
from vigil.releases.service import get_release
from vigil.store import Store
from vigil.store.audit import append as audit


@dataclass(frozen=True)
class SignoffKind:
    kind: str  # stored on the sign-off: "handover", "closure"
    role: str  # the only role that may sign
    purpose: str  # what a refused person tried to do, for the audit log
    already: str  # the conflict when signed before; {slug} is the release's
    evidence_kind: str
    requirement: str  # the governance ID the sealed document is evidence for
    action: str  # the audit action


# The kind's own part: check its precondition (raise if unmet) and return the document to seal, as the
# given version.
Document = Callable[[Session, Release, Signoff, int], str]


def sign(store: Store, root: Path, release_ref: str, spec: SignoffKind, document: Document, *, actor: str,
         now: datetime, note: str) -> EvidenceItem:
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, [spec.role], spec.purpose, now)
    with store.write() as session:
        release = get_release(session, release_id)
        if signed_off(session, release_id, spec.kind):
            raise Conflict(spec.already.format(slug=release.slug))
        signoff = Signoff(release_id=release_id, kind=spec.kind, person=actor, role=spec.role, signed_at=now,
                          note=note, details={}, evidence_id=0)
        return _seal(session, root, release, signoff, document, spec)


def _seal(session: Session, root: Path, release: Release, signoff: Signoff, document: Document,
          spec: SignoffKind) -> EvidenceItem:
    item, _ = seal_version(session, root, release.id, kind=spec.evidence_kind, requirement_ids=[spec.requirement],
                           filename=f"{signoff.kind}-{release.slug}.md", media_type="text/markdown",
                           render=lambda version, _at: document(session, release, signoff, version).encode(),
                           creator=signoff.person, now=signoff.signed_at, only_if_changed=False)
    signoff.evidence_id = item.id
    session.add(signoff)
    session.flush()
    audit(session, at=signoff.signed_at, actor=signoff.person, action=spec.action, entity="signoff",
          entity_id=signoff.id, release_id=release.id,
          payload={"evidence_id": item.id, "sha256": item.sha256, "note": signoff.note})
    return item


def sealed_text(session: Session, root: Path, evidence_id: int) -> str:
    """The text of a signed (sealed) document, exactly as it was signed."""
    item = session.get(EvidenceItem, evidence_id)
    if item is None:
        raise Conflict(f"the signed document (evidence {evidence_id}) is missing from the store")
    return read_blob(root, item).decode("utf-8")
