"""Handover (PM-28): the checklist operations need, accepted by the release's Service Owner only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import VigilError
from vigil.evidence.models import EvidenceItem
from vigil.governance.models import Signoff
from vigil.governance.render import render
from vigil.governance.signing import SignoffKind, sign
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.retro.models import ActionItem
from vigil.store import Store


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    required: bool
    entries: list[str]
    empty: str  # what to say when there is nothing

    @property
    def ok(self) -> bool:
        return bool(self.entries) or not self.required


def checklist(session: Session, release: Release) -> list[ChecklistItem]:
    """Runbooks, dashboards, alert routes and on-call must be named; open work and risks are listed."""
    h = plan_of(release).governance.handover
    actions = [
        f"#{a.id} {a.title} ({a.assignee}, due {a.due_at:%Y-%m-%d})"
        for a in session.scalars(
            select(ActionItem).where(ActionItem.release_id == release.id, ActionItem.status == "open")
        )
    ]
    return [
        ChecklistItem(
            "Runbooks", True, list(h.runbooks), "none named in the plan (governance.handover.runbooks)"
        ),
        ChecklistItem("Dashboards", True, list(h.dashboards), "none named (governance.handover.dashboards)"),
        ChecklistItem(
            "Alert routes", True, list(h.alert_routes), "none named (governance.handover.alert_routes)"
        ),
        ChecklistItem(
            "On-call", True, [h.on_call] if h.on_call else [], "no rota named (governance.handover.on_call)"
        ),
        # Seam: the incidents domain adds the release's unresolved incidents here.
        ChecklistItem("Open incidents", False, [], "none recorded"),
        ChecklistItem("Open action items", False, actions, "none"),
        ChecklistItem("Known risks", False, list(h.known_risks), "none recorded"),
    ]


def render_handover(
    session: Session, release: Release, now: datetime, accepted: Signoff | None = None,
    version: int | None = None,
) -> str:
    return render("handover.md.j2", release=release, items=checklist(session, release), now=now,
                  accepted=accepted, version=version)


HANDOVER = SignoffKind(kind="handover", role="service_owner", purpose="accept the handover",
                       already="the handover of {slug} was already accepted", evidence_kind="handover",
                       requirement="PM-28", action="handover.accepted")


def accept(
    store: Store, root: Path, release_ref: str, *, actor: str, now: datetime, note: str = ""
) -> EvidenceItem:
    """The Service Owner accepts operational ownership; refused for anyone else (and the refusal audited)."""

    def handover_document(session: Session, release: Release, signoff: Signoff, version: int) -> str:
        items = checklist(session, release)
        gaps = [i for i in items if not i.ok]
        if gaps:
            raise VigilError(
                "the handover checklist is incomplete: " + "; ".join(f"{i.label}: {i.empty}" for i in gaps)
            )
        signoff.details = {i.label: i.entries for i in items}
        return render_handover(session, release, now, signoff, version)

    return sign(store, root, release_ref, HANDOVER, handover_document, actor=actor, now=now, note=note)
