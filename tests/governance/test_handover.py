"""Handover (PM-28): checklist from the plan and open work, accepted by the Service Owner only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from governance_fixtures import EXAMPLE
from vigil.errors import Conflict, PermissionDenied, VigilError
from vigil.evidence.archive import blob_path
from vigil.governance.handover import accept, checklist
from vigil.governance.models import Signoff
from vigil.plan import parse_plan
from vigil.releases.service import create_release, get_release
from vigil.retro.actions import add_action
from vigil.store.audit import AuditEntry


def test_only_the_service_owner_accepts_and_refusals_are_audited(store, root, release, clock):
    for intruder in ("Ana Costa", "Mei Tan", "Nobody"):
        with pytest.raises(PermissionDenied, match=f"{intruder} may not accept the handover"):
            accept(store, root, release.slug, actor=intruder, now=clock.now())
    with store.read() as s:
        denied = list(s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "permission.denied")))
        assert denied == ["Ana Costa", "Mei Tan", "Nobody"]
        assert s.scalar(select(Signoff.id)) is None


def test_acceptance_seals_the_checklist_with_open_work_and_risks(store, root, release, clock):
    add_action(
        store,
        release.slug,
        title="Fix the heap leak",
        assignee="Sam Okafor",
        due_at=clock.now() + timedelta(days=5),
        source="",
        actor="Ana Costa",
        now=clock.now(),
    )
    item = accept(store, root, release.slug, actor="Jo Berg", now=clock.now(), note="Taking it over")
    text = blob_path(root, item.sha256).read_text()
    assert "- [x] **Runbooks**:\n  - https://wiki.example.com/checkout/runbook" in text
    assert "- [x] **On-call**:\n  - checkout-oncall (PagerDuty)" in text
    assert "#1 Fix the heap leak (Sam Okafor" in text
    assert "Heap growth under sustained load" in text
    assert "accepted by **Jo Berg** (Service Owner)" in text and "Taking it over" in text
    assert item.requirement_ids == ["PM-28"]
    with store.read() as s:
        signoff = s.scalar(select(Signoff))
        assert signoff is not None and signoff.person == "Jo Berg" and signoff.evidence_id == item.id
    with pytest.raises(Conflict, match="already accepted"):
        accept(store, root, release.slug, actor="Jo Berg", now=clock.now())


def test_an_incomplete_checklist_is_refused_and_nothing_is_stored(store, root, clock):
    source = EXAMPLE.read_text().split("\n# Governance after the watch")[0]  # the plan without governance:
    bare = create_release(store, parse_plan(source), source, "plan.yaml", now=clock.now(), slug="bare")
    with store.read() as s:
        missing = [i.label for i in checklist(s, get_release(s, bare.slug)) if not i.ok]
    assert missing == ["Runbooks", "Dashboards", "Alert routes", "On-call"]
    with pytest.raises(VigilError, match="Runbooks: none named in the plan"):
        accept(store, root, bare.slug, actor="Jo Berg", now=clock.now())
    with store.read() as s:
        assert s.scalar(select(Signoff.id)) is None


def test_cli_shows_and_accepts(store, release, vigil_cli):
    code, out = vigil_cli("handover", release.slug, "--db", store.url)
    assert code == 0 and "# Operational Handover" in out and "Not yet accepted" in out
    code, out = vigil_cli("handover", "accept", release.slug, "--as", "Sam Okafor", "--db", store.url)
    assert code == 3 and "only the Service Owner" in out
    code, out = vigil_cli("handover", "accept", release.slug, "--as", "Jo Berg", "--db", store.url)
    assert code == 0 and "Handover accepted" in out
