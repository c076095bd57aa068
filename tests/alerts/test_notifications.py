"""Channels, retries with backoff as due times, every attempt recorded once; the communication plan."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from vigil.alerts.communication import record_feedback, send_due
from vigil.alerts.models import Communication, Feedback, Notification
from vigil.alerts.notify.channels import Message, SlackSender, WebhookSender
from vigil.alerts.notify.outbox import deliver_pending, next_delivery, transport_senders
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


def test_a_failed_attempt_is_due_again_after_its_backoff_and_never_retried_in_place(
    store: Store, make_release: Callable[..., Release]
) -> None:
    release = make_release(CHANNELS + "alerting:\n  auto_incident: []\n")
    with store.write() as s:
        fire_alert(s, release_id=release.id, rule="mem", severity="warning", fingerprint="f", summary="Memory",
                   labels={}, now=T0, source="test")
    hook = Recorder(failures=2)
    senders = transport_senders(httpx.MockTransport(hook))
    clock = ManualClock(T0)
    assert [n.status for n in deliver_pending(store, clock, senders=senders)] == ["queued"]
    assert clock.now() == T0  # nothing slept
    assert next_delivery(store, release.id) == T0 + timedelta(seconds=10)  # backoff
    assert deliver_pending(store, ManualClock(T0 + timedelta(seconds=9)), senders=senders) == []  # not yet due
    clock = ManualClock(T0 + timedelta(seconds=10))
    assert [n.status for n in deliver_pending(store, clock, senders=senders)] == ["queued"]
    assert next_delivery(store, release.id) == T0 + timedelta(seconds=30)  # 10 s + 2 × 10 s
    done = deliver_pending(store, ManualClock(T0 + timedelta(seconds=30)), senders=senders)
    assert [n.status for n in done] == ["sent"] and [a["ok"] for a in done[0].attempts] == [False, False, True]
    assert [a["attempt"] for a in done[0].attempts] == [1, 2, 3] and next_delivery(store, release.id) is None
    keys = {r.headers["Idempotency-Key"] for r in hook.requests}
    assert len(hook.requests) == 3 and len(keys) == 1 and keys.pop().startswith(f"vigil-notification-{done[0].id}-")


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

    for seconds in (0, 10, 30):  # the first attempt, then each retry when its backoff is due
        deliver_pending(store, ManualClock(T0 + timedelta(seconds=seconds)),
                        senders=transport_senders(httpx.MockTransport(handler)))
    clock = ManualClock(T0 + timedelta(seconds=30))
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
        s.execute(update(Notification).values(status="sending", claimed_at=T0, lease_until=T0 + timedelta(minutes=2)))
    rec = Recorder()
    assert (
        deliver_pending(
            store, ManualClock(T0 + timedelta(minutes=1)), senders=transport_senders(httpx.MockTransport(rec))
        )
        == []
    )  # still within the claim's lease: left alone
    assert (
        deliver_pending(
            store, ManualClock(T0 + timedelta(minutes=3)), senders=transport_senders(httpx.MockTransport(rec))
        )[0].status
        == "sent"
    )
    assert len(rec.requests) == 1


class _Killed(BaseException):
    """The worker dies here (SIGKILL): nothing after this line of its runs."""


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deaths=st.lists(st.sampled_from(["before_send", "after_send"]), max_size=3),
       failures=st.integers(min_value=0, max_value=2))
def test_a_worker_dying_mid_send_leaves_nothing_sending_and_each_attempt_is_recorded_once(
    tmp_path_factory: pytest.TempPathFactory, deaths: list[str], failures: int
) -> None:
    """Workers die before or after the receiver got the message; each dead claim is re-claimed once its
    lease passes; the message ends sent, with the same idempotency key on every delivery."""
    from governance_fixtures import EXAMPLE
    from vigil.alerts.notify.outbox import LEASE
    from vigil.plan import parse_plan
    from vigil.releases.service import create_release

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('outbox') / 'v.db'}")
    outbox = CHANNELS.split("stakeholders:")[0].replace("    - {events: [alert.critical], channels: [chat]}\n", "")
    text = EXAMPLE.read_text(encoding="utf-8") + outbox
    release = create_release(store, parse_plan(text), text, "plan.yaml", now=T0)
    with store.write() as s:
        fire_alert(s, release_id=release.id, rule="mem", severity="warning", fingerprint="f", summary="Memory",
                   labels={}, now=T0, source="test")
    received = Recorder(failures=failures)
    plan_of_deaths = list(deaths)
    lived: list[bool] = []  # per attempt: did its worker live to record it

    def handler(request: httpx.Request) -> httpx.Response:
        death = plan_of_deaths.pop(0) if plan_of_deaths else None
        lived.append(death is None)
        if death == "before_send":
            raise _Killed()
        answer = received(request)
        if death == "after_send":
            raise _Killed()
        return answer

    clock = ManualClock(T0)
    for _ in range(20):  # workers, one after another, each when something is due
        with contextlib.suppress(_Killed):
            deliver_pending(store, clock, senders=transport_senders(httpx.MockTransport(handler)))
        due = next_delivery(store, release.id)
        if due is None:
            break
        clock.sleep_until(due)
    with store.read() as s:
        note = s.scalars(select(Notification)).one()
    assert note.status == "sent" and note.lease_until is None
    assert len({r.headers["Idempotency-Key"] for r in received.requests}) == 1
    ok = [a for a in note.attempts if a["ok"]]
    assert len(ok) == 1 and [a["attempt"] for a in note.attempts] == list(range(1, len(note.attempts) + 1))
    # Every attempt whose worker lived to record it is recorded, once; a dead worker's attempt is not.
    assert len(note.attempts) == sum(lived)
    assert clock.now() - T0 <= LEASE * len(deaths) + timedelta(seconds=10 * (2**failures))
    store.dispose()
