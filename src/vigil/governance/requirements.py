"""The requirements traceability of the Post-Release step: one small check per requirement ID.

Each check looks at one release and says met / partial / unmet, which evidence backs it, and what is
missing. The IDs read from other domains' records (dashboards, incidents, alerting, logging, tickets, RCA)
live in ``domain_checks``; the ones governance owns are here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.evidence.models import EvidenceItem
from vigil.evidence.service import items_for
from vigil.evidence.verify import verify_archive
from vigil.governance.models import LessonsPublication, in_force, voided
from vigil.plan import Plan
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.retro.models import ActionItem
from vigil.retro.service import retrospective_of
from vigil.smoke.service import runs_for
from vigil.store.verification import verify_recent


@dataclass
class TraceContext:
    session: Session
    release: Release
    plan: Plan
    root: Path
    now: datetime

    def evidence(self, requirement: str, kind: str | None = None) -> list[EvidenceItem]:
        return items_for(self.session, self.release.id, requirement=requirement, kind=kind)


@dataclass
class Status:
    id: str
    title: str
    status: str = "unmet"  # met | partial | unmet
    evidence: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.status == "met"


def _describe(items: list[EvidenceItem]) -> list[str]:
    return [f"#{i.id} {i.kind} {i.filename} ({i.sha256[:12]})" for i in items]


def _judge(status: Status, items: list[EvidenceItem], missing: list[str]) -> Status:
    status.evidence, status.missing = _describe(items), missing
    status.status = "met" if not missing else "partial" if items else "unmet"
    return status


def dep_02(ctx: TraceContext) -> Status:
    status, runs = (
        Status("DEP-02", "Post-deployment smoke tests executed"),
        runs_for(ctx.session, ctx.release.id),
    )
    if not runs:
        return _judge(
            status, [], [f"no smoke run (`vigil smoke {ctx.release.slug}` or `vigil smoke import`)"]
        )
    latest = runs[-1]
    missing = (
        []
        if latest.passed
        else [
            f"the latest smoke run #{latest.id} ({latest.source}) failed "
            f"{latest.failed} of {latest.total} checks"
        ]
    )
    return _judge(status, ctx.evidence("DEP-02"), missing)


def req_30(ctx: TraceContext) -> Status:
    status = Status("REQ-30", "Retrospective conducted and action items tracked to completion")
    if retrospective_of(ctx.session, ctx.release.id) is None:
        return _judge(status, [], [f"no retrospective (`vigil retro {ctx.release.slug}`)"])
    items, missing = ctx.evidence("REQ-30", "retrospective"), []
    if not items:
        missing.append("the retrospective report was never sealed")
    for action in ctx.session.scalars(
        select(ActionItem).where(ActionItem.release_id == ctx.release.id, ActionItem.status == "open")
    ):
        missing.append(
            f"action item {action.id} '{action.title}' is open (done, carried over or cancelled with a reason)"
        )
    return _judge(status, items, missing)


def _signoff(ctx: TraceContext, status: Status, kind: str, how: str) -> Status:
    signoff = in_force(ctx.session, ctx.release.id, kind)
    reopenings = [f"{kind} signed by {v.person} on {v.signed_at:%Y-%m-%d %H:%M} was voided when {v.revoked_by} "
                  f"reopened the release on {v.revoked_at:%Y-%m-%d %H:%M}: {v.revoke_reason}"
                  for v in voided(ctx.session, ctx.release.id, kind) if v.revoked_at is not None]
    if signoff is None:
        _judge(status, ctx.evidence(status.id), [*(f"{r}; it must be signed again" for r in reopenings), how])
    else:
        items = [i for i in ctx.evidence(status.id) if i.id == signoff.evidence_id]
        _judge(status, items, [] if items else [f"the sealed {kind} record is gone"])
    status.evidence += reopenings
    return status


def pm_28(ctx: TraceContext) -> Status:
    return _signoff(
        ctx,
        Status("PM-28", "Operational ownership handed over to the Service Owner"),
        "handover",
        f"the Service Owner has not accepted the handover (`vigil handover accept {ctx.release.slug}`)",
    )


def pm_29(ctx: TraceContext) -> Status:
    return _signoff(
        ctx,
        Status("PM-29", "Project closure approved by the Sponsor"),
        "closure",
        f"the Sponsor has not approved closure (`vigil closure approve {ctx.release.slug}`)",
    )


def pm_30(ctx: TraceContext) -> Status:
    status = Status("PM-30", "Lessons learned documented and shared across the organisation")
    published = ctx.session.scalar(
        select(LessonsPublication)
        .where(LessonsPublication.release_id == ctx.release.id)
        .order_by(LessonsPublication.id.desc())
    )
    if published is None:
        return _judge(
            status, [], [f"lessons learned not published (`vigil lessons publish {ctx.release.slug}`)"]
        )
    page = Path(published.knowledge_base) / published.page
    missing = [] if page.is_file() else [f"the published page {page} is no longer in the knowledge base"]
    return _judge(status, ctx.evidence("PM-30", "lessons"), missing)


def aud_03(ctx: TraceContext) -> Status:
    status = Status("AUD-03", "Test evidence archived per retention policy")
    items = items_for(ctx.session, ctx.release.id)
    if not items:
        return _judge(status, [], ["no evidence has been archived for this release"])
    missing = [p.message for p in verify_archive(ctx.session, ctx.root, release_id=ctx.release.id)]
    missing += verify_recent(ctx.session)  # from the last verified entry on; `vigil verify` checks all
    status.evidence = [
        f"{len(items)} archived items, retained until {min(i.retain_until for i in items):%Y-%m-%d} or later"
    ]
    status.missing, status.status = missing, "unmet" if missing else "met"
    return status


def _checks() -> dict[str, Callable[[TraceContext], Status]]:
    # Imported here: the domain checks build on this module's Status and TraceContext.
    from vigil.governance.domain_checks import dep_03, ops_01, ops_02, ops_03, req_28, req_29

    return {
        "REQ-28": req_28,
        "REQ-29": req_29,
        "REQ-30": req_30,
        "PM-28": pm_28,
        "PM-29": pm_29,
        "PM-30": pm_30,
        "DEP-02": dep_02,
        "DEP-03": dep_03,
        "OPS-01": ops_01,
        "OPS-02": ops_02,
        "OPS-03": ops_03,
        "AUD-03": aud_03,
    }


def trace(session: Session, release: Release, root: Path, now: datetime) -> list[Status]:
    """The traceability matrix, in the order the Post-Release step lists its requirements."""
    ctx = TraceContext(session, release, plan_of(release), root, now)
    return [check(ctx) for check in _checks().values()]


def gate(
    session: Session, release: Release, root: Path, now: datetime, exclude: tuple[str, ...] = ()
) -> list[Status]:
    """What stands between the release and closure: every requirement not fully met."""
    return [s for s in trace(session, release, root, now) if not s.met and s.id not in exclude]
