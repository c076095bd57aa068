"""The retrospective drafted from a watched release's data, learnings, and the sealed report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from vigil.errors import PermissionDenied, VigilError
from vigil.evidence.models import EvidenceItem
from vigil.releases.service import get_release
from vigil.retro.models import ActionItem
from vigil.retro.service import add_learning, draft, render_report
from vigil.store.audit import AuditEntry


def test_draft_comes_from_the_recorded_data(watched, tmp_path):
    root = tmp_path / "evidence"
    retro, item = draft(watched.store, root, watched.slug, actor="Ravi Menon", now=watched.end)
    worked = [f["text"] for f in retro.findings if f["category"] == "worked"]
    improve = [f["text"] for f in retro.findings if f["category"] == "improve"]
    # The example leaks memory: the trend test flags it, the rollback at T+2h recovers.
    assert any("trend test flagged Memory Usage" in t for t in worked)
    assert any(t.startswith("Fast recovery: the rollback decided at T+2h") for t in worked)
    assert any(t.startswith("Memory Usage breached its critical threshold") for t in improve)
    with watched.store.read() as s:
        actions = list(s.scalars(select(ActionItem)))
        assert len(actions) == 1
        action = actions[0]
        assert action.assignee == "Ravi Menon" and action.source.startswith("checkpoint:T+")
        assert action.due_at == watched.end + timedelta(days=14)  # the plan's default action_due
        sealed = s.get(EvidenceItem, item.id)
        assert sealed is not None and sealed.kind == "retrospective" and sealed.requirement_ids == ["REQ-30"]


def test_drafting_again_keeps_learnings_and_never_duplicates_actions(watched, tmp_path):
    root = tmp_path / "evidence"
    draft(
        watched.store,
        root,
        watched.slug,
        actor="Ravi Menon",
        now=watched.end,
        learnings=[("worked", "Canary limited the blast radius"), ("improve", "Soak-test the heap")],
    )
    draft(watched.store, root, watched.slug, actor="Ana Costa", now=watched.end)
    add_learning(
        watched.store,
        root,
        watched.slug,
        "improve",
        "Alert on heap slope, not level",
        actor="Sam Okafor",
        now=watched.end,
    )
    with watched.store.read() as s:
        assert len(list(s.scalars(select(ActionItem)))) == 1
        text = render_report(s, get_release(s, watched.slug), watched.end)
    assert "- Canary limited the blast radius — Ravi Menon" in text
    assert "- Soak-test the heap — Ravi Menon" in text
    assert "- Alert on heap slope, not level — Sam Okafor" in text
    assert "| 1 | Find and fix the cause of the Memory Usage" in text
    assert "___" not in text and "[placeholder]" not in text and "[Name]" not in text


def test_only_the_owners_draft_and_the_refusal_is_audited(watched, tmp_path):
    with pytest.raises(PermissionDenied, match="only the Release Owner or Monitoring Owner"):
        draft(watched.store, tmp_path, watched.slug, actor="Sam Okafor", now=watched.end)
    with watched.store.read() as s:
        denied = s.scalar(select(AuditEntry).where(AuditEntry.action == "permission.denied"))
        assert denied is not None and denied.actor == "Sam Okafor"
        assert denied.payload["action"] == "run the retrospective"


def test_learnings_need_a_retrospective_and_a_known_category(watched, tmp_path):
    with pytest.raises(VigilError, match="no retrospective yet"):
        add_learning(
            watched.store, tmp_path, watched.slug, "worked", "x", actor="Sam Okafor", now=watched.end
        )
    draft(watched.store, tmp_path, watched.slug, actor="Ravi Menon", now=watched.end)
    with pytest.raises(VigilError, match="'worked' or 'improve'"):
        add_learning(watched.store, tmp_path, watched.slug, "meh", "x", actor="Sam Okafor", now=watched.end)


def test_cli_drafts_and_writes_the_markdown_report(watched, vigil_cli, tmp_path):
    out = tmp_path / "retro.md"
    code, text = vigil_cli(
        "retro",
        watched.slug,
        "--as",
        "Ravi Menon",
        "--worked",
        "Fast canary",
        "--out",
        str(out),
        "--db",
        watched.store.url,
    )
    assert code == 0, text
    report = out.read_text()
    assert report.startswith("# Retrospective: Checkout v2.3") and "- Fast canary — Ravi Menon" in report
    code, text = vigil_cli(
        "retro",
        "learn",
        watched.slug,
        "Runbook was stale",
        "--improve",
        "--as",
        "Jo Berg",
        "--db",
        watched.store.url,
    )
    assert code == 0, text
    code, text = vigil_cli("retro", "show", watched.slug, "--db", watched.store.url)
    assert "- Runbook was stale — Jo Berg" in text
