"""Project closure (PM-29): the closure report, approved by the Sponsor only, and only once the gate passes.

PM-29 is the one requirement the approval itself satisfies, so the gate is checked without it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import VigilError
from vigil.evidence.models import EvidenceItem
from vigil.evidence.service import items_for
from vigil.governance.models import Signoff
from vigil.governance.render import render
from vigil.governance.requirements import Status, gate, trace
from vigil.governance.signing import SignoffKind, sign
from vigil.incidents.models import Incident
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.retro.models import ActionItem
from vigil.smoke.service import runs_for
from vigil.store import Store
from vigil.watch.models import RollbackEvent


class GateFailed(VigilError):
    """Closure asked for while requirements are still unmet."""

    exit_code = 4

    def __init__(self, unmet: list[Status]) -> None:
        self.unmet = unmet
        super().__init__(
            "closure refused, the gate fails: "
            + "; ".join(f"{s.id}: {s.missing[0] if s.missing else s.status}" for s in unmet)
        )


def closure_context(session: Session, release: Release, root: Path, now: datetime) -> dict[str, Any]:
    from vigil.reports.monitoring_log import build_context

    plan, log = plan_of(release), build_context(session, release, now)
    rollback = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release.id))
    actions = list(session.scalars(select(ActionItem).where(ActionItem.release_id == release.id)))
    runs = runs_for(session, release.id)
    incidents = list(session.scalars(
        select(Incident).where(Incident.release_id == release.id).order_by(Incident.detected_at, Incident.id)))
    return {
        "release": release,
        "now": now,
        "closure": plan.governance.closure,
        "final": log["final"],
        "rollback": rollback,
        "actions": actions,
        "smoke": runs[-1] if runs else None,
        "matrix": trace(session, release, root, now),
        "evidence_count": len(items_for(session, release.id)),
        "risks": plan.governance.handover.known_risks,
        "open_actions": [a for a in actions if a.status == "open"],
        "incidents": incidents,
    }


def render_closure(
    session: Session, release: Release, root: Path, now: datetime, approval: Signoff | None = None,
    version: int | None = None,
) -> str:
    return render("closure.md.j2", approval=approval, version=version,
                  **closure_context(session, release, root, now))


CLOSURE = SignoffKind(kind="closure", role="sponsor", purpose="approve project closure",
                      already="closure of {slug} was already approved", evidence_kind="closure_report",
                      requirement="PM-29", action="closure.approved")


def approve(
    store: Store, root: Path, release_ref: str, *, actor: str, now: datetime, note: str = ""
) -> EvidenceItem:
    """The Sponsor approves closure: role first (refusals audited), then the gate without PM-29."""

    def closure_report(session: Session, release: Release, signoff: Signoff, version: int) -> str:
        from vigil.releases.closed import mark_closed

        unmet = gate(session, release, root, now, exclude=("PM-29",))
        if unmet:
            raise GateFailed(unmet)
        # The release is read-only once closed: every document it produced is sealed, current, with it.
        from vigil.reports.sealing import seal_step_documents  # reports render governance views

        seal_step_documents(session, release=release, root=root, creator=actor, now=now)
        text = render_closure(session, release, root, now, signoff, version)
        mark_closed(session, release, at=now, by=actor)  # from here on the release is read-only
        return text

    return sign(store, root, release_ref, CLOSURE, closure_report, actor=actor, now=now, note=note)
