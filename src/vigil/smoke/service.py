"""Smoke runs: execute or import, store the per-check results, seal the results as DEP-02 evidence."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.clock import Clock
from vigil.errors import VigilError
from vigil.evidence.service import seal
from vigil.releases.closed import ensure_open
from vigil.releases.roles import authorize
from vigil.releases.service import get_release, plan_of
from vigil.smoke.junit import parse_junit
from vigil.smoke.models import SmokeResult, SmokeRun
from vigil.smoke.runner import CheckResult, run_checks
from vigil.store import Store
from vigil.store.audit import append as audit

if TYPE_CHECKING:
    import httpx

RUNNERS = ("release_owner", "monitoring_owner", "participant")
SYSTEM = "vigil"


def run_smoke(
    store: Store,
    root: Path,
    release_ref: str | int,
    clock: Clock,
    *,
    actor: str,
    trigger: str = "deployment",
    transport: httpx.BaseTransport | None = None,
    in_transaction: Callable[[Session], None] | None = None,
) -> SmokeRun:
    """Run the plan's HTTP checks now and store them; people need a role, the watcher acts as ``vigil``.

    ``in_transaction`` runs in the transaction that stores the run (the watcher marks its durable work
    done there, so the run is stored exactly once: see ``vigil.watch.work``)."""
    with store.read() as session:
        release = get_release(session, release_ref)
        release_id, config = release.id, plan_of(release).smoke
        ensure_open(session, release_id, "running smoke tests")  # before the checks hit the service
    if actor != SYSTEM:
        authorize(store, release_id, actor, RUNNERS, "run smoke tests", clock.now())
    if not config.checks:
        raise VigilError("the plan has no smoke checks (add a 'smoke: checks:' section)")
    started = clock.now()
    results = run_checks(config, clock, transport=transport)
    finished = max(clock.now(), started)
    document = {
        "release_id": release_id,
        "trigger": trigger,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "checks": [r.__dict__ for r in results],
    }
    with store.write() as session:
        if in_transaction is not None:
            in_transaction(session)
        return _store_run(
            session,
            root,
            release_id,
            "http",
            trigger,
            started,
            finished,
            actor,
            results,
            json.dumps(document, indent=2).encode(),
            f"smoke-{trigger}.json",
            "application/json",
            "smoke_result",
        )


def import_junit(store: Store, root: Path, release_ref: str, path: Path, *, actor: str, now: datetime) -> SmokeRun:
    """Store and seal JUnit XML produced by any test runner."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise VigilError(f"cannot read {path}: {exc.strerror or exc}") from None
    cases = parse_junit(content, path.name)
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, RUNNERS, "import smoke test results", now)
    results = [CheckResult(c.name, c.outcome, c.duration_ms, 1, None, c.message) for c in cases]
    with store.write() as session:
        return _store_run(
            session,
            root,
            release_id,
            "junit",
            "import",
            now,
            now,
            actor,
            results,
            content,
            path.name,
            "application/xml",
            "junit",
        )


def runs_for(session: Session, release_id: int) -> list[SmokeRun]:
    return list(
        session.scalars(
            select(SmokeRun).where(SmokeRun.release_id == release_id).order_by(SmokeRun.started_at, SmokeRun.id)
        )
    )


def _store_run(
    session: Session,
    root: Path,
    release_id: int,
    source: str,
    trigger: str,
    started: datetime,
    finished: datetime,
    actor: str,
    results: Sequence[CheckResult],
    content: bytes,
    filename: str,
    media_type: str,
    kind: str,
) -> SmokeRun:
    item = seal(
        session,
        root,
        release_id,
        kind=kind,
        requirement_ids=["DEP-02"],
        content=content,
        filename=filename,
        media_type=media_type,
        creator=actor,
        now=finished,
    )
    failed = sum(1 for r in results if r.outcome in {"failed", "error"})
    skipped = sum(1 for r in results if r.outcome == "skipped")
    run = SmokeRun(
        release_id=release_id,
        source=source,
        trigger=trigger,
        started_at=started,
        finished_at=finished,
        actor=actor,
        total=len(results),
        failed=failed,
        skipped=skipped,
        evidence_id=item.id,
    )
    run.results = [
        SmokeResult(
            position=i,
            name=r.name,
            outcome=r.outcome,
            duration_ms=r.duration_ms,
            attempts=r.attempts,
            status_code=r.status_code,
            message=r.message,
        )
        for i, r in enumerate(results)
    ]
    session.add(run)
    session.flush()
    audit(
        session,
        at=finished,
        actor=actor,
        action="smoke.recorded",
        entity="smoke_run",
        entity_id=run.id,
        release_id=release_id,
        payload={
            "source": source,
            "trigger": trigger,
            "total": run.total,
            "failed": failed,
            "evidence_id": item.id,
        },
    )
    return run
