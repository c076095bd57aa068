"""The notification outbox: messages are queued inside the transaction that caused them and delivered
after it commits, so no network call ever holds a database lock and nothing is announced that was then
rolled back.

Delivery is at-least-once, and each attempt is recorded exactly once. A worker claims a due message with
a lease (``lease_until``; the claim's moment, ``claimed_at``, names the claim), makes one attempt, and
records it under a row lock. A worker that dies mid-send leaves the message "sending" only until its lease
passes; any worker then claims it again, so it may be delivered twice: every message carries an
idempotency key derived from its id (``Idempotency-Key`` on webhooks, the ``Message-ID`` of mail) for the
receiver to drop the repeat. A failed attempt is not retried in place: the message is queued again with
``next_attempt_at`` = now + backoff × 2^(failures − 1), and the watch wakes for it (``next_delivery``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from fnmatch import fnmatch
from typing import Any

import httpx
from sqlalchemy import CursorResult, and_, func, or_, select, update
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
# How long a send's claim stands: longer than any channel's timeout (a worker past it is taken for dead).
LEASE = timedelta(minutes=2)


class DeliveryState(StrEnum):
    QUEUED = "queued"  # due at next_attempt_at (None: at once)
    SENDING = "sending"  # claimed until lease_until
    SENT = "sent"
    FAILED = "failed"  # every attempt the plan allows failed


def idempotency_key(note_id: int, created_at: datetime) -> str:
    """The same for every attempt at one message, different for every message (of every store)."""
    return f"vigil-notification-{note_id}-{int(created_at.timestamp() * 1_000_000)}"


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
        status=DeliveryState.QUEUED,
        attempts=[],
        created_at=now,
    )
    session.add(note)
    session.flush()
    return note


def deliver_pending(
    store: Store, clock: Clock, *, release_id: int | None = None, senders: SenderFactory | None = None
) -> list[Notification]:
    """Make one attempt at every message that is due (queued and due, or whose claim's lease passed);
    return what was attempted."""
    now = clock.now()
    with store.read() as session:
        query = select(Notification.id).where(_claimable(now)).order_by(Notification.id)
        if release_id is not None:
            query = query.where(Notification.release_id == release_id)
        ids = list(session.scalars(query))
    return [n for n in (_attempt(store, clock, i, senders) for i in ids) if n is not None]


def next_delivery(store: Store, release_id: int | None) -> datetime | None:
    """When this release's outbox next needs a worker: a queued retry's due time or a claim's lease end."""
    with store.read() as session:
        retry = session.scalar(select(func.min(func.coalesce(Notification.next_attempt_at, Notification.created_at)))
                               .where(Notification.release_id == release_id,
                                      Notification.status == DeliveryState.QUEUED))
        lease = session.scalar(select(func.min(Notification.lease_until)).where(
            Notification.release_id == release_id, Notification.status == DeliveryState.SENDING))
    times = [t for t in (retry, lease) if t is not None]
    return min(times) if times else None


def _claimable(now: datetime) -> Any:
    due = or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)
    # A claim without a lease predates leases: its worker is gone.
    expired = or_(Notification.lease_until.is_(None), Notification.lease_until <= now)
    return or_(and_(Notification.status == DeliveryState.QUEUED, due),
               and_(Notification.status == DeliveryState.SENDING, expired))


def _attempt(store: Store, clock: Clock, note_id: int, senders: SenderFactory | None) -> Notification | None:
    claimed_at = clock.now()
    with store.write() as session:
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Notification)
            .where(Notification.id == note_id, _claimable(claimed_at))
            .values(status=DeliveryState.SENDING, claimed_at=claimed_at, lease_until=claimed_at + LEASE)
        )
        note = session.get(Notification, note_id)
        if not result.rowcount or note is None:
            return None
        config = _config_for(session, note.release_id)
        key = idempotency_key(note.id, note.created_at)
        message = Message(note.event, note.subject, note.body, list(note.recipients), dict(note.data), key)
        channel = note.channel
    spec = _channel(config, channel)
    sender = senders(spec) if senders else sender_for(spec)
    at = clock.now()
    try:
        attempt = {"ok": True, "detail": sender.send(message)}
    except DeliveryError as exc:
        attempt = {"ok": False, "detail": str(exc)}
    return _record_attempt(store, clock, note_id, claimed_at, {"at": at.isoformat(), **attempt}, config)


def _record_attempt(store: Store, clock: Clock, note_id: int, claimed_at: datetime, attempt: dict[str, Any],
                    config: Notifications) -> Notification:
    """Append this attempt (once) under a row lock; settle the message if the claim is still ours."""
    now = clock.now()
    with store.write() as session:
        stored = session.scalars(select(Notification).where(Notification.id == note_id).with_for_update()).one()
        attempts = [*stored.attempts, {"attempt": len(stored.attempts) + 1, **attempt}]
        stored.attempts = attempts
        ours = stored.status == DeliveryState.SENDING and stored.claimed_at == claimed_at
        if attempt["ok"] and stored.status != DeliveryState.SENT:
            stored.status, stored.sent_at, stored.lease_until = DeliveryState.SENT, now, None
        elif not attempt["ok"] and ours:
            failures = sum(1 for a in attempts if not a["ok"])
            if failures > config.retries:
                stored.status, stored.lease_until = DeliveryState.FAILED, None
            else:
                stored.status, stored.lease_until = DeliveryState.QUEUED, None
                stored.next_attempt_at = now + config.backoff * 2 ** (failures - 1)
        else:
            return stored  # another worker's claim stands: it settles the message
        if stored.status in (DeliveryState.SENT, DeliveryState.FAILED):
            audit(session, at=now, actor=SYSTEM_ACTOR, action=f"notification.{stored.status}",
                  entity="notification", entity_id=note_id, release_id=stored.release_id,
                  payload={"channel": stored.channel, "event": stored.event, "attempts": len(attempts)})
        return stored


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
