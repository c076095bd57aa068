"""Sealing the documents the Post-Release step produces (AUD-03), each as a new version when it changed.

The documents vigil writes itself from the store are listed by ``step_documents``: the plan snapshot, the
monitoring log, one incident report per incident, one RCA per incident with a recorded RCA, and one file
per log excerpt. ``seal_step_documents`` seals every one whose content differs from its latest sealed
version (or that was never sealed), through the one sealing path (``evidence.versions.seal_version``).
Documents sealed by their own act (smoke results, retrospective, handover, closure, lessons) are sealed
by that act.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.evidence.archive import evidence_root
from vigil.evidence.models import EvidenceItem
from vigil.evidence.versions import Render, seal_version, versions
from vigil.governance.models import signed_off
from vigil.incidents.models import Incident
from vigil.incidents.reports import incident_report_text
from vigil.logs.models import LogExcerpt
from vigil.releases.models import Release
from vigil.releases.service import get_release
from vigil.store import Store

# The monitoring log is the Post-Release step's "monitoring logs and dashboards available" output.
MONITORING_LOG_REQUIREMENTS = ["REQ-28", "DEP-03"]


@dataclass(frozen=True)
class StepDocument:
    kind: str
    requirement_ids: list[str]
    filename: str
    media_type: str
    render: Render


def monitoring_log_document(session: Session, release: Release) -> StepDocument:
    from vigil.reports.monitoring_log import monitoring_log_text  # it imports governance, which imports us

    return StepDocument("monitoring_log", MONITORING_LOG_REQUIREMENTS, f"monitoring-log-{release.slug}.md",
                        "text/markdown",
                        lambda version, at: monitoring_log_text(session, release, at, version).encode())


def step_documents(session: Session, release: Release) -> list[StepDocument]:
    """Every document vigil writes from the store for this release, in a fixed order."""
    docs = [
        # The plan exactly as registered: its bytes are the snapshot whose SHA-256 the log names.
        StepDocument("plan_snapshot", ["REQ-28", "DEP-03"], f"plan-{release.slug}.yaml", "application/yaml",
                     lambda _version, _at: release.plan.source_text.encode()),
        monitoring_log_document(session, release),
    ]
    incidents = session.scalars(select(Incident).where(Incident.release_id == release.id).order_by(Incident.id))
    for incident in incidents:
        docs.append(StepDocument("incident_report", ["REQ-29", "OPS-02"], f"incident-{incident.ticket}.md",
                                 "text/markdown", _incident_render(session, incident)))
        if incident.rca:
            docs.append(StepDocument("rca", ["OPS-03"], f"rca-{incident.ticket}.md", "text/markdown",
                                     _incident_render(session, incident)))
    excerpts = session.scalars(select(LogExcerpt).where(LogExcerpt.release_id == release.id).order_by(LogExcerpt.id))
    for excerpt in excerpts:
        docs.append(StepDocument("log_excerpt", ["OPS-01"], f"log-excerpt-{excerpt.id}.json", "application/json",
                                 _excerpt_render(excerpt)))
    return docs


def seal_step_documents(session: Session, root: Path, release: Release, *, creator: str, now: datetime,
                        already_sealed_only: bool = False) -> list[EvidenceItem]:
    """Seal a new version of every step document that changed; return the versions sealed now.

    ``already_sealed_only`` refreshes just the documents that have a sealed version (after a change that
    makes one stale), without sealing the others for the first time.
    """
    sealed = []
    for doc in step_documents(session, release):
        if already_sealed_only and not versions(session, release.id, doc.kind, doc.filename):
            continue
        item, new = seal_version(session, root, release.id, kind=doc.kind, requirement_ids=doc.requirement_ids,
                                 filename=doc.filename, media_type=doc.media_type, render=doc.render,
                                 creator=creator, now=now)
        if new:
            sealed.append(item)
    return sealed


def seal_monitoring_log(store: Store, release_ref: str | int, *, creator: str, now: datetime) -> EvidenceItem:
    """Seal the log as it reads now (a new version only if it changed since the last one)."""
    with store.write() as session:
        release = get_release(session, release_ref)
        doc = monitoring_log_document(session, release)
        item, _ = seal_version(session, evidence_root(store.url), release.id, kind=doc.kind,
                               requirement_ids=doc.requirement_ids, filename=doc.filename,
                               media_type=doc.media_type, render=doc.render, creator=creator, now=now)
        return item


def seal_open_releases(store: Store, root: Path, release_id: int | None, *, creator: str,
                       now: datetime) -> list[EvidenceItem]:
    """``seal_step_documents`` for one release (or all): closed ones are skipped, their closure sealed them.

    Each release is sealed in its own transaction.
    """
    with store.read() as session:
        query = select(Release.id).order_by(Release.id)
        if release_id is not None:
            query = query.where(Release.id == release_id)
        ids = [i for i in session.scalars(query) if not signed_off(session, i, "closure")]
    sealed: list[EvidenceItem] = []
    for rid in ids:
        with store.write() as session:
            sealed += seal_step_documents(session, root, get_release(session, rid), creator=creator, now=now)
    return sealed


def refresh_sealed(store: Store, root: Path, release_id: int, *, creator: str, now: datetime) -> list[EvidenceItem]:
    """After a change (an action item done, say): a new version of every sealed document it made stale.

    The retrospective and the step documents already sealed are re-sealed where their content changed; a
    closed release is read-only, so nothing is sealed for it.
    """
    from vigil.retro.service import retrospective_filename, seal_report

    with store.write() as session:
        release = get_release(session, release_id)
        if signed_off(session, release.id, "closure"):
            return []
        sealed = seal_step_documents(session, root, release, creator=creator, now=now, already_sealed_only=True)
        before = versions(session, release.id, "retrospective", retrospective_filename(release))
        if before:
            item = seal_report(session, root, release, creator, now)
            sealed += [item] if item.id != before[-1].id else []
        return sealed


def _incident_render(session: Session, incident: Incident) -> Render:
    return lambda version, at: incident_report_text(session, incident, at, version).encode()


def _excerpt_render(excerpt: LogExcerpt) -> Callable[[int, datetime], bytes]:
    document = {"id": excerpt.id, "query": excerpt.query, "filters": excerpt.filters,
                "matched_count": excerpt.matched_count, "sha256": excerpt.sha256,
                "created_at": excerpt.created_at.isoformat(), "created_by": excerpt.created_by,
                "incident_ref": excerpt.incident_ref, "lines": excerpt.lines}
    return lambda _version, _at: json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode()
