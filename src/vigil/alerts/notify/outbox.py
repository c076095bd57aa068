"""The notification outbox: messages are queued inside the transaction that caused them and delivered
after it commits, so no network call ever holds a database lock and nothing is announced that was then
rolled back. Delivery retries with exponential backoff on the injected clock and keeps every attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from fnmatch import fnmatch
from typing import Any

import httpx
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from vigil.alerts.models import Notification
from vigil.alerts.notify.channels import DeliveryError, Message, Sender, sender_for
from vigil.clock import Clock
from vigil.plan.alerting import Channel, Notifications
from vigil.plan.schema import Plan
from vigil.releases.models import Release
from vigil.releases.service import SYSTEM_ACTOR, plan_of
from vigil.store import Store
from vigil.store.audit import append as audit

SenderFactory = Callable[[Channel], Sender]
STALE_CLAIM = timedelta(minutes=15)


def queue_event(
    session: Session,
    plan: Plan,
    release_id: int | None,
    event: str,
    *,
    subject: str,
    body: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> list[Notification]:
    """Queue one message per channel the plan routes ``event`` to (patterns like ``alert.*`` allowed)."""
    channels: list[str] = []
    for route in plan.notifications.routes:
        if any(fnmatch(event, pattern) for pattern in route.events):
            channels += [c for c in route.channels if c not in channels]
    return [
        queue(
            session,
            plan.notifications,
            release_id,
            event,
            name,
            subject=subject,
            body=body,
            now=now,
            data=data,
        )
        for name in channels
    ]


def queue(
    session: Session,
    config: Notifications,
    release_id: int | None,
    event: str,
    channel: str,
    *,
    subject: str,
    body: str,
    now: datetime,
    recipients: list[str] | None = None,
    data: dict[str, Any] | None = None,
) -> Notification:
    spec = _channel(config, channel)
    note = Notification(
        release_id=release_id,
        event=event,
        channel=channel,
        kind=spec.kind,
        recipients=list(recipients or []),
        subject=subject,
        body=body,
        data=dict(data or {}),
        status="queued",
        attempts=[],
        created_at=now,
    )
    session.add(note)
    session.flush()
    return note


def deliver_pending(
    store: Store, clock: Clock, *, release_id: int | None = None, senders: SenderFactory | None = None
) -> list[Notification]:
    """Deliver every queued notification (each claimed by exactly one worker); return what was handled.

    A claim older than ``STALE_CLAIM`` belongs to a worker that died mid-send: it is queued again, so
    delivery is at-least-once (a duplicate message is better than a lost alert).
    """
    with store.write() as session:
        session.execute(
            update(Notification)
            .where(Notification.status == "sending", Notification.claimed_at < clock.now() - STALE_CLAIM)
            .values(status="queued")
        )
    with store.read() as session:
        query = select(Notification.id).where(Notification.status == "queued").order_by(Notification.id)
        if release_id is not None:
            query = query.where(Notification.release_id == release_id)
        ids = list(session.scalars(query))
    return [n for n in (_deliver_one(store, clock, i, senders) for i in ids) if n is not None]


def _deliver_one(store: Store, clock: Clock, note_id: int, senders: SenderFactory | None) -> Notification | None:
    with store.write() as session:
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Notification)
            .where(Notification.id == note_id, Notification.status == "queued")
            .values(status="sending", claimed_at=clock.now())
        )
        claimed = result.rowcount
        note = session.get(Notification, note_id)
        if not claimed or note is None:
            return None
        config = _config_for(session, note.release_id)
    spec = _channel(config, note.channel)
    sender = senders(spec) if senders else sender_for(spec)
    message = Message(note.event, note.subject, note.body, list(note.recipients), dict(note.data))
    attempts, ok = send_with_retries(sender, message, config.retries, config.backoff.total_seconds(), clock)
    with store.write() as session:
        stored = session.get(Notification, note_id)
        assert stored is not None
        stored.attempts, stored.status = attempts, "sent" if ok else "failed"
        stored.sent_at = clock.now() if ok else None
        audit(
            session,
            at=clock.now(),
            actor=SYSTEM_ACTOR,
            action=f"notification.{stored.status}",
            entity="notification",
            entity_id=note_id,
            release_id=stored.release_id,
            payload={"channel": stored.channel, "event": stored.event, "attempts": len(attempts)},
        )
        return stored


def send_with_retries(
    sender: Sender, message: Message, retries: int, backoff_seconds: float, clock: Clock
) -> tuple[list[dict[str, Any]], bool]:
    """Try once plus ``retries`` times, waiting backoff, 2×backoff, 4×… between; every attempt recorded."""
    attempts: list[dict[str, Any]] = []
    for number in range(retries + 1):
        at = clock.now()
        try:
            receipt = sender.send(message)
        except DeliveryError as exc:
            attempts.append({"attempt": number + 1, "at": at.isoformat(), "ok": False, "detail": str(exc)})
            if number < retries:
                clock.sleep_until(clock.now() + timedelta(seconds=backoff_seconds * 2**number))
            continue
        attempts.append({"attempt": number + 1, "at": at.isoformat(), "ok": True, "detail": receipt})
        return attempts, True
    return attempts, False


def _config_for(session: Session, release_id: int | None) -> Notifications:
    release = session.get(Release, release_id) if release_id is not None else None
    return plan_of(release).notifications if release is not None else Notifications()


def _channel(config: Notifications, name: str) -> Channel:
    for channel in config.channels:
        if channel.name == name:
            return channel
    from vigil.errors import NotFound

    raise NotFound(f"no notification channel '{name}' in the plan")


def transport_senders(transport: httpx.BaseTransport) -> SenderFactory:
    """Senders whose HTTP goes through ``transport`` (tests use ``httpx.MockTransport``)."""
    return lambda channel: sender_for(channel, transport)
