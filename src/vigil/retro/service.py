"""Drafting the retrospective from data, adding people's learnings, writing and sealing the report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import VigilError
from vigil.evidence.models import EvidenceItem
from vigil.evidence.service import CONTRIBUTORS
from vigil.evidence.versions import seal_version
from vigil.releases.models import Release
from vigil.releases.roles import authorize
from vigil.releases.service import get_release, people_by_role, plan_of
from vigil.retro.models import ActionItem, Learning, Retrospective
from vigil.retro.signals import gather
from vigil.store import Store
from vigil.store.audit import append as audit

FACILITATORS = ("release_owner", "monitoring_owner")


def draft(
    store: Store,
    root: Path,
    release_ref: str | int,
    *,
    actor: str,
    now: datetime,
    learnings: Sequence[tuple[str, str]] = (),
) -> tuple[Retrospective, EvidenceItem]:
    """Draft (or refresh) the retrospective, add ``(category, text)`` learnings, seal the report.

    Running it again is safe: findings are recomputed, suggested action items are created once (by title),
    learnings already recorded stay, and a new version of the report is sealed.
    """
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, FACILITATORS, "run the retrospective", now)
    with store.write() as session:
        release = get_release(session, release_id)
        retro = _upsert(session, release, actor, now)
        _suggest_actions(session, release, retro, actor, now)
        for category, text in learnings:
            retro.learnings.append(_learning(category, text, actor, now))
        session.flush()
        audit(
            session,
            at=now,
            actor=actor,
            action="retro.drafted",
            entity="retrospective",
            entity_id=retro.id,
            release_id=release_id,
            payload={"findings": len(retro.findings), "learnings": len(retro.learnings)},
        )
        item = seal_report(session, root, release, actor, now)
        return retro, item


def add_learning(
    store: Store, root: Path, release_ref: str, category: str, text: str, *, actor: str, now: datetime
) -> EvidenceItem:
    """Anyone named in the release adds what they learned; the report is sealed again with it."""
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, CONTRIBUTORS, "add a learning", now)
    with store.write() as session:
        release = get_release(session, release_id)
        retro = retrospective_of(session, release_id)
        if retro is None:
            raise VigilError(
                "no retrospective yet: the Release or Monitoring Owner drafts it with `vigil retro`"
            )
        retro.learnings.append(_learning(category, text, actor, now))
        session.flush()
        audit(
            session,
            at=now,
            actor=actor,
            action="retro.learning_added",
            entity="retrospective",
            entity_id=retro.id,
            release_id=release_id,
            payload={"category": category, "text": text},
        )
        return seal_report(session, root, release, actor, now)


def retrospective_of(session: Session, release_id: int) -> Retrospective | None:
    return session.scalar(select(Retrospective).where(Retrospective.release_id == release_id))


def render_report(session: Session, release: Release, now: datetime, version: int | None = None) -> str:
    from vigil.governance.render import render

    retro = retrospective_of(session, release.id)
    if retro is None:
        raise VigilError(f"no retrospective for {release.slug} yet (`vigil retro {release.slug} --as NAME`)")
    actions = list(
        session.scalars(
            select(ActionItem)
            .where(ActionItem.release_id == release.id)
            .order_by(ActionItem.due_at, ActionItem.id)
        )
    )
    return render(
        "retrospective.md.j2",
        release=release,
        retro=retro,
        actions=actions,
        now=now,
        version=version,
        worked=[f for f in retro.findings if f["category"] == "worked"],
        improve=[f for f in retro.findings if f["category"] == "improve"],
    )


def retrospective_filename(release: Release) -> str:
    return f"retrospective-{release.slug}.md"


def seal_report(session: Session, root: Path, release: Release, actor: str, now: datetime) -> EvidenceItem:
    """Seal the report as a new version when what it describes changed since the last one."""
    item, _ = seal_version(
        session, root, release.id, kind="retrospective", requirement_ids=["REQ-30"],
        filename=retrospective_filename(release), media_type="text/markdown",
        render=lambda version, at: render_report(session, release, at, version).encode(), creator=actor, now=now,
    )
    return item


def _upsert(session: Session, release: Release, actor: str, now: datetime) -> Retrospective:
    findings = [
        {"category": f.category, "text": f.text, "source": f.source} for f in gather(session, release)
    ]
    retro = retrospective_of(session, release.id)
    if retro is None:
        retro = Retrospective(
            release_id=release.id, drafted_at=now, drafted_by=actor, updated_at=now, findings=findings
        )
        session.add(retro)
    else:
        retro.findings, retro.updated_at = findings, now
    session.flush()
    return retro


def _suggest_actions(
    session: Session, release: Release, retro: Retrospective, actor: str, now: datetime
) -> None:
    """One open action item per "improve" finding that suggests one, assigned to the Monitoring Owner."""
    plan = plan_of(release)
    owners = people_by_role(release).get("monitoring_owner") or []
    existing = set(session.scalars(select(ActionItem.title).where(ActionItem.release_id == release.id)))
    for finding in gather(session, release):
        if finding.action and finding.action not in existing:
            item = ActionItem(
                release_id=release.id,
                title=finding.action,
                source=finding.source,
                assignee=owners[0].name if owners else actor,
                due_at=now + plan.governance.action_due,
                status="open",
                reason="",
                created_at=now,
                created_by=actor,
            )
            session.add(item)
            session.flush()
            existing.add(finding.action)
            audit(
                session,
                at=now,
                actor=actor,
                action="action.created",
                entity="action_item",
                entity_id=item.id,
                release_id=release.id,
                payload={
                    "title": item.title,
                    "assignee": item.assignee,
                    "due_at": item.due_at.isoformat(),
                    "source": item.source,
                },
            )


def _learning(category: str, text: str, actor: str, now: datetime) -> Learning:
    if category not in {"worked", "improve"}:
        raise VigilError(f"a learning is 'worked' or 'improve', not '{category}'")
    if not text.strip():
        raise VigilError("a learning needs some text")
    return Learning(category=category, text=text.strip(), author=actor, created_at=now)
