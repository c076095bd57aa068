"""A sealed document is never edited: a change seals a new version, the old one is marked superseded, every
document states its version; the export holds every document the step produced; closure lists the stored
incidents."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from governance_fixtures import T0, make_release
from vigil.evidence.archive import blob_path, evidence_root
from vigil.evidence.models import EvidenceItem
from vigil.evidence.versions import seal_version, version_infos, versions
from vigil.governance.closure import render_closure
from vigil.incidents.models import Incident
from vigil.incidents.service import open_incident
from vigil.releases.service import get_release
from vigil.retro.actions import add_action
from vigil.retro.models import ActionItem
from vigil.retro.service import draft
from vigil.store import Store


def _text(root, item: EvidenceItem) -> str:
    return blob_path(root, item.sha256).read_text(encoding="utf-8")


@settings(max_examples=30, deadline=None)
@given(changes=st.lists(st.booleans(), min_size=1, max_size=8))
def test_versions_count_only_real_changes_and_chain_superseded(tmp_path_factory, changes: list[bool]) -> None:
    """Any sequence of sealing requests, some after a change and some not, gives versions 1..n (one per
    change plus the first), each superseded by the next, the old bytes untouched, each text its own number."""
    folder = tmp_path_factory.mktemp("versions")
    store = Store(f"sqlite:///{folder / 'v.db'}")
    try:
        release = make_release(store, T0)
        root = evidence_root(store.url)
        state = {"content": 0}
        sealed_digests = []
        for step, changed in enumerate(changes):
            state["content"] += int(changed)
            with store.write() as session:
                item, new = seal_version(
                    session, root, release.id, kind="retrospective", requirement_ids=["REQ-30"],
                    filename="doc.md", media_type="text/markdown",
                    render=lambda v, at: f"content {state['content']}\nVersion: v{v}\n".encode(),
                    creator="t", now=T0 + timedelta(minutes=step))
                if new:
                    sealed_digests.append(item.sha256)
        expected = 1 + sum(changes[1:])
        with store.read() as session:
            history = versions(session, release.id, "retrospective", "doc.md")
            infos = version_infos(session, history)
        assert len(history) == expected
        assert [infos[i.id].version for i in history] == list(range(1, expected + 1))
        assert [infos[i.id].superseded_by for i in history] == [*range(2, expected + 1), None]
        for number, item in enumerate(history, start=1):
            data = blob_path(root, item.sha256).read_bytes()
            assert hashlib.sha256(data).hexdigest() == item.sha256 == sealed_digests[number - 1]
            assert f"Version: v{number}\n" in data.decode()
    finally:
        store.dispose()


def test_a_done_action_item_seals_a_new_retrospective_and_supersedes_the_old(watched, vigil_cli):
    store, slug = watched.store, watched.slug
    root = evidence_root(store.url)
    now = watched.end
    add_action(store, slug, title="Add a heap-slope alert", assignee="Sam Okafor", due_at=now + timedelta(days=7),
               source="", actor="Ravi Menon", now=now)
    _, first = draft(store, root, slug, actor="Ravi Menon", now=now)
    assert "| Add a heap-slope alert | Sam Okafor |" in _text(root, first)
    assert "**Version:** v1" in _text(root, first) and "| open |" in _text(root, first)
    with store.read() as session:
        action_id = session.scalar(select(ActionItem.id).where(ActionItem.title == "Add a heap-slope alert"))
    code, out = vigil_cli("action", "done", str(action_id), "--as", "Ravi Menon", "--db", store.url)
    assert code == 0, out
    assert "Sealed retrospective" in out
    with store.read() as session:
        history = versions(session, get_release(session, slug).id, "retrospective", f"retrospective-{slug}.md")
        infos = version_infos(session, history)
    assert len(history) == 2 and history[0].id == first.id
    old, new = history
    assert "| open |" in _text(root, old)  # never edited
    assert "**Version:** v2" in _text(root, new) and "| done |" in _text(root, new)
    assert infos[old.id].label() == "v1, superseded by v2" and infos[new.id].label() == "v2"
    code, out = vigil_cli("evidence", "list", slug, "--db", store.url)
    assert code == 0 and "v1, superseded by v2" in out


def test_export_holds_every_step_document_by_default_and_seals_nothing_twice(watched, vigil_cli, tmp_path):
    store, slug = watched.store, watched.slug
    with store.read() as session:
        tickets = list(session.scalars(select(Incident.ticket)))
    assert tickets, "the watched leak opens an incident"
    code, out = vigil_cli("evidence", "export", str(tmp_path / "only"), "--release", slug, "--sealed-only",
                          "--db", store.url)
    assert code == 0, out
    assert json.loads((tmp_path / "only" / "manifest.json").read_text())["items"] == []
    code, out = vigil_cli("evidence", "export", str(tmp_path / "b1"), "--release", slug, "--db", store.url)
    assert code == 0, out
    items = json.loads((tmp_path / "b1" / "manifest.json").read_text())["items"]
    kinds = [i["kind"] for i in items]
    assert kinds == ["plan_snapshot", "monitoring_log"] + ["incident_report"] * len(tickets)
    assert all(i["version"] == 1 and i["superseded_by_version"] is None for i in items)
    with store.read() as session:
        plan_sha = get_release(session, slug).plan.sha256
    assert items[0]["sha256"] == plan_sha  # the snapshot's bytes are the registered plan's
    code, out = vigil_cli("evidence", "export", str(tmp_path / "b2"), "--release", slug, "--db", store.url)
    assert code == 0 and "new document version" not in out
    assert len(json.loads((tmp_path / "b2" / "manifest.json").read_text())["items"]) == len(items)


def test_closure_report_lists_the_stored_incidents(store, root, clock, tmp_path):
    release = make_release(store, clock.now())
    with store.write() as session:
        for title, severity in (("Checkout 500s", "high"), ("Slow receipts", "low")):
            open_incident(session, release_id=release.id, title=title, severity=severity, actor="Ravi Menon",
                          now=clock.now())
    with store.read() as session:
        text = render_closure(session, get_release(session, release.slug), root, clock.now())
        incidents = list(session.scalars(select(Incident).order_by(Incident.id)))
    block = text.split("## Incidents", 1)[1].split("\n## ", 1)[0]
    assert "No incidents were recorded" not in block
    assert block.count("- **") == len(incidents) == 2
    for incident in incidents:
        assert f"**{incident.ticket}: {incident.title}** — severity {incident.severity}" in block


def test_a_signed_handover_shows_what_was_signed_not_todays_data(store, root, release, clock, vigil_cli):
    from vigil.governance.handover import accept

    item = accept(store, root, release.slug, actor="Jo Berg", now=clock.now())
    add_action(store, release.slug, title="Written after the signature", assignee="Sam Okafor",
               due_at=clock.now() + timedelta(days=3), source="", actor="Ana Costa", now=clock.now())
    code, out = vigil_cli("handover", release.slug, "--db", store.url)
    assert code == 0, out
    assert "Written after the signature" not in out and "**Version:** v1" in out
    assert out.strip() == _text(root, item).strip()
