"""Frozen excerpts as evidence, and retention by age per service (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from vigil.logs.forensics import EmptyExcerpt, attach, get_excerpt, list_excerpts, verify
from vigil.logs.ingest import Source, ingest_lines
from vigil.logs.retention import RetentionError, apply, set_rule
from vigil.logs.search import LogFilter, count
from vigil.plan.loader import load_plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain

from .support import NOW, REPO


def _line(days_ago: float, service: str, msg: str, level: str = "error") -> str:
    ts = (NOW - timedelta(days=days_ago)).isoformat()
    return f'{{"ts":"{ts}","level":"{level}","service":"{service}","msg":"{msg}"}}'


def test_an_attached_excerpt_is_frozen(any_store: Store) -> None:
    plan, text = load_plan(REPO / "src" / "vigil" / "examples" / "checkout-leak.yaml")
    release = create_release(any_store, plan, text, "checkout-leak.yaml", now=NOW)
    ingest_lines(any_store, [_line(0.01 * i, "checkout", f"card declined for order {i}") for i in range(5)]
                 + [_line(0.01, "checkout", "all good", "info")], Source("t", "checkout"), now=NOW)
    flt = LogFilter(text="declined", services=("checkout",))
    excerpt = attach(any_store, flt, now=NOW, actor="Ravi Menon", release=release.slug, incident_ref="INC-7")
    assert excerpt.matched_count == 5 and len(excerpt.lines) == 5 and verify(excerpt)
    assert excerpt.lines[0]["message"] == "card declined for order 4"  # oldest first
    # Later ingest changes the search, not the evidence.
    ingest_lines(any_store, [_line(0, "checkout", "card declined for order 99")], Source("t", "checkout"),
                 now=NOW)
    with any_store.read() as session:
        assert count(session, flt) == 6
    again = get_excerpt(any_store, excerpt.id)
    assert again.matched_count == 5 and len(again.lines) == 5 and again.sha256 == excerpt.sha256
    assert verify(again) and again.release_id == release.id and again.incident_ref == "INC-7"
    assert [e.id for e in list_excerpts(any_store, incident_ref="INC-7")] == [excerpt.id]
    with any_store.read() as session:
        actions = list(session.scalars(select(AuditEntry.action)))
        assert "logs.excerpt_attached" in actions and verify_chain(session) == []
    again.lines[0]["message"] = "edited"
    assert not verify(again)  # the hash notices any change to the frozen content


def test_attaching_nothing_is_refused(sqlite_store: Store) -> None:
    with pytest.raises(EmptyExcerpt):
        attach(sqlite_store, LogFilter(text="nothing"), now=NOW, actor="x")


def test_retention_per_service_with_a_default(any_store: Store) -> None:
    lines = [_line(age, service, f"event {service} {age}") for service in ("checkout", "search", "audit")
             for age in (1, 5, 20, 100)]
    ingest_lines(any_store, lines, Source("t", "x"), now=NOW)
    set_rule(any_store, "checkout", 3, now=NOW, actor="ops")
    set_rule(any_store, "*", 30, now=NOW, actor="ops")
    set_rule(any_store, "audit", 365, now=NOW, actor="ops")
    purged = {p.service: p.deleted for p in apply(any_store, now=NOW, actor="ops")}
    assert purged == {"checkout": 3, "*": 1, "audit": 0}
    with any_store.read() as session:
        left = {s: count(session, LogFilter(services=(s,))) for s in ("checkout", "search", "audit")}
        # the text index forgets deleted lines too
        assert count(session, LogFilter(text="event checkout")) == 1
        assert verify_chain(session) == []
    assert left == {"checkout": 1, "search": 3, "audit": 4}
    with pytest.raises(RetentionError):
        set_rule(any_store, "checkout", 0, now=NOW, actor="ops")
