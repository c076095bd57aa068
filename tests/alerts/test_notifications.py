"""Channels, retries with backoff on the injected clock, every attempt recorded; the communication plan."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from vigil.alerts.communication import record_feedback, send_due
from vigil.alerts.models import Communication, Feedback, Notification
from vigil.alerts.notify.channels import Message, SlackSender, WebhookSender
from vigil.alerts.notify.outbox import deliver_pending, send_with_retries, transport_senders
from vigil.alerts.service import fire_alert
from vigil.clock import ManualClock
from vigil.plan.alerting import Channel
from vigil.releases.models import Release
from vigil.store import Store

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # T+0 of the plan the conftest registers

CHANNELS = """
notifications:
  retries: 2
  backoff: 10s
  channels:
    - {name: hook, kind: webhook, url: "http://hooks.test/vigil"}
    - {name: chat, kind: slack, url: "http://slack.test/T000/B000"}
  routes:
    - {events: ["alert.*", "incident.opened"], channels: [hook]}
    - {events: [alert.critical], channels: [chat]}
stakeholders:
  - {name: Engineering, channel: "#checkout-eng", audience: engineering}
  - {name: Product, channel: product@example.com, audience: product}
  - {name: Ops, channel: hook, audience: engineering}
"""


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.requests: list[httpx.Request] = []
        self.failures = failures

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures > 0:
            self.failures -= 1
            return httpx.Response(503, text="busy")
        return httpx.Response(200, text="ok")


def test_webhook_and_slack_payloads() -> None:
    rec = Recorder()
    msg = Message("alert.critical", "Memory high", "details", ["#checkout-eng"], {"alert_id": 1})
    WebhookSender(Channel(name="h", kind="webhook", url="http://x/y"), httpx.MockTransport(rec)).send(msg)
    SlackSender(Channel(name="s", kind="slack", url="http://x/z"), httpx.MockTransport(rec)).send(msg)
    generic, slack = (json.loads(r.content) for r in rec.requests)
    assert generic == {
        "event": "alert.critical",
        "subject": "Memory high",
        "text": "details",
        "recipients": ["#checkout-eng"],
        "data": {"alert_id": 1},
    }
    assert slack["text"] == "*Memory high*\ndetails" and slack["channel"] == "#checkout-eng"
    assert slack["blocks"][0]["text"]["type"] == "mrkdwn"


def test_retries_back_off_on_the_clock_and_record_every_attempt() -> None:
    clock = ManualClock(T0)
    sender = WebhookSender(Channel(name="h", kind="webhook", url="http://x/y"), httpx.MockTransport(Recorder(2)))
    attempts, ok = send_with_retries(sender, Message("e", "s", "b"), retries=3, backoff_seconds=5, clock=clock)
    assert ok and [a["ok"] for a in attempts] == [False, False, True]
    assert "HTTP 503" in attempts[0]["detail"]
    assert clock.now() == T0 + timedelta(seconds=5 + 10)  # 5 s, then 10 s


def test_routed_notifications_are_delivered_after_commit_and_failures_are_kept(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release(CHANNELS + "alerting:\n  auto_incident: []\n")
    with store.write() as s:
        fire_alert(
            s,
            release_id=release.id,
            rule="mem",
            severity="critical",
            fingerprint="f",
            summary="Memory",
            labels={},
            now=T0,
            source="test",
        )
        assert [n.status for n in s.scalars(select(Notification))] == ["queued", "queued"]
    hook_ok = Recorder()

    def handler(request: httpx.Request) -> httpx.Response:
        return hook_ok(request) if request.url.host == "hooks.test" else httpx.Response(500, text="down")

    clock = ManualClock(T0)
    deliver_pending(store, clock, senders=transport_senders(httpx.MockTransport(handler)))
    with store.read() as s:
        notes = {n.channel: n for n in s.scalars(select(Notification))}
    assert notes["hook"].status == "sent" and len(notes["hook"].attempts) == 1
    assert notes["chat"].status == "failed" and len(notes["chat"].attempts) == 3  # 1 + 2 retries
    assert json.loads(hook_ok.requests[0].content)["event"] == "alert.critical"
    assert deliver_pending(store, clock) == []  # nothing is delivered twice


def test_communication_timeline_goes_out_on_schedule_and_takes_feedback(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release(CHANNELS)
    assert send_due(store, release.id, T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=15)
    assert send_due(store, release.id, T0 + timedelta(minutes=16)) == T0 + timedelta(hours=1)
    assert send_due(store, release.id, T0 + timedelta(minutes=17)) == T0 + timedelta(hours=1)  # idempotent
    with store.write() as s:
        record_feedback(
            s,
            release.id,
            "Engineering",
            "Clear and timely",
            author="Sam Okafor",
            now=T0 + timedelta(minutes=20),
            step="T+15m-status",
        )
    with store.read() as s:
        comms = list(s.scalars(select(Communication).order_by(Communication.due_at)))
        notes = {n.id: n for n in s.scalars(select(Notification))}
        feedback = s.scalars(select(Feedback)).one()
    assert [c.step for c in comms] == ["T+0-start", "T+15m-status"]
    start, status = comms
    assert start.recipients == ["Engineering", "Product", "Ops"] and "recorded only for Product" in start.delivery
    assert status.recipients == ["Engineering", "Ops"]
    assert {notes[i].channel for i in status.notification_ids} == {"chat", "hook"}
    assert "First status update" in status.subject and feedback.communication_id == status.id


def test_a_claim_left_by_a_dead_worker_is_delivered_again_later(
    store: Store, make_release: Callable[..., Release]
) -> None:
    from sqlalchemy import update

    release = make_release(CHANNELS + "alerting:\n  auto_incident: []\n")
    with store.write() as s:
        fire_alert(
            s,
            release_id=release.id,
            rule="mem",
            severity="warning",
            fingerprint="f",
            summary="Memory",
            labels={},
            now=T0,
            source="test",
        )
        # A worker claimed it and died before recording the outcome.
        s.execute(update(Notification).values(status="sending", claimed_at=T0))
    rec = Recorder()
    assert (
        deliver_pending(
            store, ManualClock(T0 + timedelta(minutes=5)), senders=transport_senders(httpx.MockTransport(rec))
        )
        == []
    )  # still within the claim: left alone
    assert (
        deliver_pending(
            store, ManualClock(T0 + timedelta(minutes=20)), senders=transport_senders(httpx.MockTransport(rec))
        )[0].status
        == "sent"
    )
    assert len(rec.requests) == 1
