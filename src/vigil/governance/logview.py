"""What the Post-Release Monitoring Log shows from governance: action items, review and retrospective."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.governance.models import Signoff
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.retro.models import ActionItem
from vigil.retro.service import retrospective_of


def log_context(session: Session, release: Release) -> dict[str, Any]:
    """``actions`` for Key Learnings; ``review`` / ``retrospective`` dates (or None) for the sign-off lines.

    The retrospective counts as scheduled once it is held (its draft date) or when the plan names a date;
    the review once the handover or closure is signed (the earliest) or when the plan names a date.
    """
    plan = plan_of(release)
    actions = list(
        session.scalars(
            select(ActionItem)
            .where(ActionItem.release_id == release.id)
            .order_by(ActionItem.due_at, ActionItem.id)
        )
    )
    retro = retrospective_of(session, release.id)
    signed = [s.signed_at for s in session.scalars(select(Signoff).where(Signoff.release_id == release.id))]
    review: datetime | None = min(signed) if signed else plan.governance.review_at
    learned = (
        [(entry.category, f"{entry.text} ({entry.author})") for entry in retro.learnings] if retro else []
    )
    return {
        "actions": actions,
        "learned": learned,
        "retrospective": retro.drafted_at if retro else plan.governance.retrospective_at,
        "retrospective_held": retro is not None,
        "review": review,
        "review_held": bool(signed),
    }
