"""The store the web benchmark serves: the demo release watched to the end, plus 10,000 releases with
eight checkpoints and decisions each and 100,000 incidents, written in bulk, with the audit chain a real
store would have for them (a "release.created", "checkpoint.evaluated" and "incident.opened" entry each,
correctly hash-linked), so nothing the server reads is smaller than in a store that grew by use.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

AuditRow = tuple[datetime, str, str, int, int | None, dict[str, Any]]  # at, action, entity, id, release, payload


def seed(db: str, releases: int, incidents: int) -> tuple[str, str]:
    """Fill the store; returns (demo slug, a viewer's token)."""
    from vigil.access.service import add_user, create_token
    from vigil.clock import ManualClock
    from vigil.flows.watch_loop import watch
    from vigil.plan import parse_plan
    from vigil.releases.service import create_release
    from vigil.store import Store

    store = Store(db)
    text = (resources.files("vigil") / "examples" / "checkout-leak.yaml").read_text(encoding="utf-8")
    plan = parse_plan(text, "checkout-leak.yaml")
    clock = ManualClock(plan.release.date)
    demo = create_release(store, plan, text, "checkout-leak.yaml", now=clock.now(), slug="checkout-demo")
    watch(store, clock, [demo.slug])
    t0 = time.perf_counter()
    with store.write() as session:
        base = plan.release.date - timedelta(days=400)
        offsets = [int(o.total_seconds()) for o in plan.checkpoints]
        started = _fill_releases(session, releases, demo.plan_id, base)
        checkpoints = _fill_checkpoints(session, started, plan.checkpoint_names(), offsets, demo.id)
        _fill_incidents(session, incidents, list(started), base)
        entries = _audit_bulk(session, _history(session, started))
    print(
        f"seeded {releases:,} releases, {checkpoints:,} checkpoints with decisions, {incidents:,} incidents "
        f"and {entries:,} audit entries in {time.perf_counter() - t0:.1f}s"
    )
    now = datetime.now(UTC)
    add_user(store, "Bench Viewer", now, role="viewer", release=demo.slug)
    token = create_token(store, "Bench Viewer", now, label="bench")[1]
    store.dispose()
    return demo.slug, token


def _fill_releases(session: Session, count: int, plan_id: int, base: datetime) -> dict[int, datetime]:
    from vigil.releases.models import Release

    rng = random.Random(7)
    rows = [
        {
            "slug": f"svc{i % 300}-{i}",
            "name": f"Release {i}",
            "service": f"svc{i % 300}",
            "version": f"1.{i}.0",
            "baseline_version": f"1.{i - 1}.0",
            "deployment_method": "canary",
            "started_at": base + timedelta(minutes=55 * i),
            "timezone": "Europe/Berlin",
            "status": rng.choice(["completed"] * 8 + ["rolled_back", "watching"]),
            "plan_id": plan_id,
            "created_at": base,
        }
        for i in range(count)
    ]
    session.execute(insert(Release), rows)
    slugs = {r["slug"] for r in rows}
    found = session.execute(select(Release.id, Release.slug, Release.started_at)).all()
    return {rid: at for rid, slug, at in found if slug in slugs}


def _fill_checkpoints(
    session: Session, started: dict[int, datetime], names: list[str], offsets: list[int], demo_id: int
) -> int:
    from vigil.watch.models import Checkpoint, Decision

    rng = random.Random(9)
    rows = []
    for release_id, t in started.items():
        for name, offset in zip(names, offsets, strict=True):
            due = t + timedelta(seconds=offset)
            rows.append({
                "release_id": release_id, "name": name, "offset_seconds": offset, "due_at": due,
                "evaluated_at": due, "state": "evaluated", "traffic_percent": 50.0,
                "window_start": due - timedelta(minutes=5), "window_end": due, "note": "",
            })
    session.execute(insert(Checkpoint), rows)
    ids = list(session.scalars(select(Checkpoint.id).where(Checkpoint.release_id != demo_id)))
    session.execute(
        insert(Decision),
        [
            {
                "checkpoint_id": c, "health": rng.choice(["healthy"] * 6 + ["warning", "critical"]),
                "go_no_go": "continue", "confidence": "high", "risk": "low", "recommendation": "continue",
                "reasons": [],
            }
            for c in ids
        ],
    )
    return len(rows)


def _fill_incidents(session: Session, count: int, release_ids: list[int], base: datetime) -> None:
    """Realistic incident rows: a quarter still open or investigating, the rest resolved or closed."""
    from vigil.incidents.models import Incident

    rng = random.Random(11)
    states = ["open", "investigating"] + ["resolved"] * 3 + ["closed"] * 3
    for chunk in range(0, count, 10_000):
        rows = []
        for n in range(chunk, min(chunk + 10_000, count)):
            detected = base + timedelta(minutes=3 * n)
            status = rng.choice(states)
            done = status in ("resolved", "closed")
            severity = rng.choice(["critical", "high", "medium", "low", "low"])
            rows.append({
                "ticket": f"INC-B{n:06d}", "release_id": rng.choice(release_ids), "checkpoint_id": None,
                "title": f"Bench incident {n}", "severity": severity, "status": status,
                "major": severity in ("critical", "high"), "opened_by": "bench", "source": "manual",
                "detected_at": detected, "acknowledged_at": detected + timedelta(minutes=4),
                "resolved_at": detected + timedelta(minutes=50) if done else None,
                "closed_at": detected + timedelta(hours=2) if status == "closed" else None,
            })
        session.execute(insert(Incident), rows)


def _history(session: Session, started: dict[int, datetime]) -> Iterator[AuditRow]:
    """The audit entries the service functions would have written for the bulk rows."""
    from vigil.incidents.models import Incident
    from vigil.watch.models import Checkpoint

    for release_id, at in started.items():
        yield at, "release.created", "release", release_id, release_id, {"bench": True}
    query = select(Checkpoint.id, Checkpoint.release_id, Checkpoint.name, Checkpoint.due_at)
    for cid, release_id, name, due in session.execute(query):
        if release_id in started:  # the demo's own checkpoints were audited when its watch ran
            yield due, "checkpoint.evaluated", "checkpoint", cid, release_id, {"checkpoint": name}
    for iid, release_id, ticket, at in session.execute(
        select(Incident.id, Incident.release_id, Incident.ticket, Incident.detected_at).where(
            Incident.ticket.like("INC-B%")
        )
    ):
        yield at, "incident.opened", "incident", iid, release_id, {"ticket": ticket}


def _audit_bulk(session: Session, entries: Iterable[AuditRow]) -> int:
    """Append entries to the audit chain in bulk, linked exactly as ``vigil.store.audit.append`` links
    them (same hash), so ``vigil verify`` finds the benchmark store's chain intact."""
    from vigil.store.audit import AuditEntry, AuditHead, entry_hash

    head = session.get(AuditHead, 1)
    assert head is not None, "the demo release has audited entries before the bulk ones"
    seq, prev, rows, total = head.seq, head.hash, [], 0
    for at, action, entity, entity_id, release_id, payload in entries:
        seq += 1
        digest = entry_hash(seq, at, "bench", action, entity, str(entity_id), release_id, payload, prev)
        rows.append({
            "seq": seq, "at": at, "actor": "bench", "action": action, "entity": entity,
            "entity_id": str(entity_id), "release_id": release_id, "payload": payload, "prev_hash": prev,
            "hash": digest,
        })
        prev = digest
        if len(rows) == 20_000:
            session.execute(insert(AuditEntry), rows)
            total, rows = total + len(rows), []
    if rows:
        session.execute(insert(AuditEntry), rows)
        total += len(rows)
    head.seq, head.hash = seq, prev
    return total
