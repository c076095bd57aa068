"""E-mail notifications through a real SMTP server process (aiosmtpd writing to a Maildir)."""

from __future__ import annotations

import mailbox
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from servers import OutputWatcher, free_port
from sqlalchemy import select

from vigil.alerts.communication import send_due
from vigil.alerts.models import Notification
from vigil.alerts.notify.outbox import deliver_pending
from vigil.alerts.service import fire_alert
from vigil.clock import ManualClock
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store

pytestmark = pytest.mark.integration


# --- servers, waited for by events (their output, their requests), never by sleeping ---


T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

PLAN = """
release:
  name: Checkout
  service: checkout
  version: "2.3.0"
  date: 2026-11-24T08:00:00+00:00
  deployment_method: canary
people:
  release_owner: {{name: Ana Costa}}
  monitoring_owner: {{name: Ravi Menon}}
notifications:
  retries: 1
  backoff: 1s
  channels:
    - {{name: mail, kind: smtp, host: 127.0.0.1, port: {port}, sender: vigil@example.com,
       to: [oncall@example.com]}}
  routes:
    - {{events: [alert.critical], channels: [mail]}}
stakeholders:
  - {{name: Product, channel: product@example.com, audience: product}}
alerting:
  auto_incident: []
"""


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, maildir = free_port(), tmp_path / "maildir"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-d",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(maildir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watcher = OutputWatcher(proc)
    try:
        assert watcher.wait_for(r"Server is listening", timeout=30), "".join(watcher.lines)
        yield port, maildir
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_alert_mail_is_received_by_a_real_smtp_server(tmp_path: Path, smtp_server: tuple[int, Path]) -> None:
    port, maildir = smtp_server
    text = PLAN.format(port=port)
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    release = create_release(store, parse_plan(text), text, "plan.yaml", now=T0)
    with store.write() as s:
        fire_alert(
            s,
            release_id=release.id,
            rule="memory-leak",
            severity="critical",
            fingerprint="f",
            summary="Memory 12% above baseline for 10 min",
            labels={},
            now=T0,
            source="rule",
        )
    send_due(store, release.id, T0 + timedelta(minutes=1))  # the T+0 start notice to Product, by e-mail
    deliver_pending(store, ManualClock(T0))

    received = {str(make_header(decode_header(m["Subject"]))): m for m in mailbox.Maildir(maildir, create=False)}
    alert_mail = received["[CRITICAL] memory-leak on checkout"]
    assert alert_mail["From"] == "vigil@example.com" and alert_mail["To"] == "oncall@example.com"
    assert alert_mail["X-Vigil-Event"] == "alert.critical"
    assert "Memory 12% above baseline" in alert_mail.get_payload()
    start = received["checkout 2.3.0 — T+0: Deployment start notification"]
    assert "product@example.com" in start["To"] and "Deployment started at T+0" in start.get_payload()
    with store.read() as s:
        notes = list(s.scalars(select(Notification)))
    assert [n.status for n in notes] == ["sent", "sent"]
    assert all(n.attempts[0]["ok"] and "accepted" in n.attempts[0]["detail"] for n in notes)
    store.dispose()


def test_an_unreachable_smtp_server_is_retried_and_recorded_as_failed(tmp_path: Path) -> None:
    text = PLAN.format(port=free_port())  # nothing listens there
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    release = create_release(store, parse_plan(text), text, "plan.yaml", now=T0)
    with store.write() as s:
        fire_alert(
            s,
            release_id=release.id,
            rule="r",
            severity="critical",
            fingerprint="f",
            summary="x",
            labels={},
            now=T0,
            source="rule",
        )
    clock = ManualClock(T0)
    deliver_pending(store, clock)
    with store.read() as s:
        note = s.scalars(select(Notification)).one()
    assert note.status == "queued" and note.next_attempt_at == T0 + timedelta(seconds=1) and clock.now() == T0
    deliver_pending(store, ManualClock(T0 + timedelta(seconds=1)))  # the retry, when its backoff is due
    with store.read() as s:
        note = s.scalars(select(Notification)).one()
    assert note.status == "failed" and len(note.attempts) == 2
    assert "ConnectionRefused" in note.attempts[0]["detail"]
    store.dispose()
