"""The root-cause analysis document a major incident needs before it can be closed.

Written as YAML by a person (validated strictly, errors with file:line) and stored on the incident; the
timeline part is the incident's own clock and timeline, so the document can never disagree with them.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from vigil.incidents.documents import load_model
from vigil.incidents.models import Incident
from vigil.incidents.service import ROOT_CAUSE_CATEGORIES, RootCauseCategory, _audit, _event, get_incident


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RootCause(_Strict):
    category: RootCauseCategory
    change: str | None = Field(default=None, description="the change, commit or release that caused it")
    description: str = Field(min_length=1)


class ActionItem(_Strict):
    action: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    due: date | None = None
    done: bool = False


class TimelineEntry(_Strict):
    at: datetime
    text: str = Field(min_length=1)


class RcaDocument(_Strict):
    summary: str = Field(min_length=1)
    impact: str = Field(min_length=1)
    root_cause: RootCause
    contributing_factors: list[str] = Field(min_length=1)
    five_whys: list[str] = Field(
        min_length=3, max_length=7, description="why → why → … until the root cause (at least three levels)"
    )
    corrective_actions: list[ActionItem] = Field(min_length=1)
    preventive_actions: list[ActionItem] = Field(min_length=1)
    timeline: list[TimelineEntry] = Field(default=[], description="extra entries beside the incident's own")


def load_rca(path: str | Path) -> RcaDocument:
    return load_model(path, RcaDocument)


def record_rca(session: Session, ref: str | int, document: RcaDocument, *, actor: str, now: datetime) -> Incident:
    """Store the RCA on the incident and copy its root cause and prevention to the ticket's fields."""
    incident = get_incident(session, ref)
    assert document.root_cause.category in ROOT_CAUSE_CATEGORIES
    incident.rca = {**document.model_dump(mode="json"), "recorded_by": actor, "recorded_at": now.isoformat()}
    incident.root_cause_category = document.root_cause.category
    incident.root_cause_change = document.root_cause.change
    incident.root_cause = document.root_cause.description
    incident.prevention = "; ".join(a.action for a in document.preventive_actions)
    _event(session, incident, now, actor, "rca", "Root-cause analysis recorded")
    _audit(
        session,
        incident,
        now,
        actor,
        "incident.rca_recorded",
        {"category": document.root_cause.category, "change": document.root_cause.change},
    )
    return incident


def missing_rca_parts(incident: Incident) -> list[str]:
    """What a closable major incident still lacks (empty when the RCA is complete)."""
    if not incident.rca:
        return [
            "the RCA document (timeline, impact, root cause, contributing factors, five whys, "
            "corrective and preventive actions with owners)"
        ]
    try:
        RcaDocument.model_validate({k: v for k, v in incident.rca.items() if k not in {"recorded_by", "recorded_at"}})
    except ValidationError as exc:
        return [".".join(map(str, e["loc"])) for e in exc.errors()]
    return [] if incident.events else ["a timeline"]


def rca_view(incident: Incident) -> dict[str, Any] | None:
    return dict(incident.rca) if incident.rca else None
