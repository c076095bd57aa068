"""Stakeholders are told when a rollback starts and when it ends, with its outcome (seen: nothing was sent).

The leaky example release is watched to its automatic rollback against a real SMTP server (aiosmtpd), once
with a rollback action that succeeds and once with one that fails; each time both notices must be on the
communication timeline, addressed to every stakeholder the plan names, delivered by e-mail, and say what
the store holds about the rollback (reason, outcome, output)."""

from __future__ import annotations

import mailbox
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import select

from governance_fixtures import EXAMPLE, T0
from integration.servers import OutputWatcher, free_port
from vigil.alerts.models import Communication, Notification
from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.incidents.reports import communication_view
from vigil.plan import parse_plan
from vigil.releases.service import create_release, get_release
from vigil.store import Store
from vigil.watch.models import RollbackEvent

CHANNELS = """
notifications:
  retries: 0
  channels:
    - {{name: mail, kind: smtp, host: 127.0.0.1, port: {port}, sender: vigil@example.com, to: []}}
"""


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, maildir = free_port(), tmp_path / "maildir"
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-d", "-l", f"127.0.0.1:{port}", "-c",
                             "aiosmtpd.handlers.Mailbox", str(maildir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watcher = OutputWatcher(proc)
    try:
        assert watcher.wait_for(r"Server is listening", timeout=30), "".join(watcher.lines)
        yield port, maildir
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("command", ["echo rolling back checkout to 2.2.4", "echo broken >&2; exit 3"])
def test_a_rollback_start_and_end_reach_every_stakeholder(tmp_path: Path, smtp_server: tuple[int, Path],
                                                          command: str) -> None:
    port, maildir = smtp_server
    text = EXAMPLE.read_text(encoding="utf-8").replace("echo rolling back checkout to 2.2.4", command)
    text += CHANNELS.format(port=port)
    plan = parse_plan(text, "plan.yaml")
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    create_release(store, plan, text, "plan.yaml", now=T0, slug="leaky")
    watch(store, ManualClock(T0), ["leaky"])

    with store.read() as s:
        release = get_release(s, "leaky")
        event = s.scalar(select(RollbackEvent))
        assert event is not None and event.started_at is not None and event.completed_at is not None
        comms = {c.step: c for c in s.scalars(select(Communication).where(Communication.step.like("rollback-%")))}
        notes = {n.id: n for n in s.scalars(
            select(Notification).where(Notification.event.like("communication.rollback%")))}
        rows = communication_view(s, release)["rows"]
    start, end = comms["rollback-start"], comms["rollback-end"]
    everyone = [st.name for st in plan.stakeholders]
    assert start.recipients == everyone and end.recipients == everyone
    assert (start.sent_at, end.sent_at) == (event.started_at, event.completed_at)
    assert event.reason in start.body and event.reason in end.body
    outcome = {"completed": "completed", "failed": "FAILED"}[event.state]
    assert end.subject.endswith(f"rollback to {release.baseline_version} {outcome}")
    assert event.output.strip()[:40] in end.body
    # Delivered through the outbox: one e-mail per notice to the stakeholders reached by e-mail.
    assert sorted(n.status for n in notes.values()) == ["sent", "sent"]
    assert {i for c in (start, end) for i in c.notification_ids} == set(notes)
    mails = {str(make_header(decode_header(m["Subject"]))): m for m in mailbox.Maildir(maildir, create=False)}
    emailed = sorted(st.channel for st in plan.stakeholders if "@" in st.channel)
    for comm in (start, end):
        mail = mails[comm.subject]
        assert sorted(a.strip() for a in mail["To"].split(",")) == emailed
        assert comm.body.split(" (")[0] in mail.get_payload(decode=True).decode()
    # The Slack-only stakeholder is named as recorded-only, not silently dropped.
    assert "recorded only for Engineering" in end.delivery
    # The incident report's communication section shows both, in time order.
    texts = [row[2] for row in rows]
    assert any(start.subject in t for t in texts) and any(end.subject in t for t in texts)
    assert min(i for i, t in enumerate(texts) if start.subject in t) < min(
        i for i, t in enumerate(texts) if end.subject in t)
    store.dispose()


@pytest.mark.unaudited_writes  # the dead worker's claim is written past the services
def test_an_interrupted_rollback_ends_with_a_notice_to_check_by_hand(tmp_path: Path) -> None:
    """A worker died after claiming the rollback: the next watcher flags it, and stakeholders are told."""
    from vigil.watch.rollback_settle import expire_rollback_lease

    text = EXAMPLE.read_text(encoding="utf-8").replace("automatic: true", "automatic: false")
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    create_release(store, parse_plan(text, "plan.yaml"), text, "plan.yaml", now=T0, slug="leaky")
    clock = ManualClock(T0)
    watch(store, clock, ["leaky"])  # decided, waiting for a person
    with store.write() as s:
        event = s.scalar(select(RollbackEvent))
        assert event is not None and event.state == "decided"
        event.state, event.started_at, event.lease_until = "started", clock.now(), clock.now() + timedelta(minutes=1)
    with store.read() as s:
        release_id = get_release(s, "leaky").id
    assert not expire_rollback_lease(store, release_id, clock.now())  # its worker may still be at it
    clock.advance(timedelta(minutes=1, seconds=1))
    assert expire_rollback_lease(store, release_id, clock.now())
    with store.read() as s:
        end = s.scalar(select(Communication).where(Communication.step == "rollback-interrupted"))
        event = s.scalar(select(RollbackEvent))
    assert end is not None and event is not None and end.sent_at == clock.now()
    assert end.subject.endswith("interrupted") and "check the service by hand" in end.body
    assert event.reason in end.body
    store.dispose()
