"""Action items: add, list (overdue), mark done, carry over or cancel with a reason; each change audited.

A due date already past when the item is created is refused: an item born overdue is a typing mistake
(seen: a year of 2020), and accepting it would fail the overdue check the moment it is stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import Conflict, NotFound, VigilError
from vigil.evidence.service import CONTRIBUTORS
from vigil.releases.closed import ensure_open
from vigil.releases.roles import authorize
from vigil.releases.service import get_release
from vigil.retro.models import ActionItem, ActionState
from vigil.store import Store
from vigil.store.audit import append as audit

OWNERS = ("release_owner", "monitoring_owner")
_SOURCE_KINDS = ("incident", "alert", "checkpoint", "smoke", "ticket")


def add_action(
    store: Store,
    release_ref: str,
    *,
    title: str,
    assignee: str,
    due_at: datetime,
    source: str,
    actor: str,
    now: datetime,
) -> ActionItem:
    if source and source.split(":", 1)[0] not in _SOURCE_KINDS:
        raise VigilError(f"--from must look like incident:12, alert:7 or checkpoint:T+2h, not '{source}'")
    if not title.strip() or not assignee.strip():
        raise VigilError("an action item needs a title and an assignee")
    if due_at < now:
        raise VigilError(f"the due date {due_at:%Y-%m-%d} is already past (today is {now:%Y-%m-%d} UTC): "
                         "give a date from today on")
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, CONTRIBUTORS, "add an action item", now)
    with store.write() as session:
        if (
            session.scalar(
                select(ActionItem.id).where(
                    ActionItem.release_id == release_id, ActionItem.title == title.strip()
                )
            )
            is not None
        ):
            raise Conflict(f"an action item titled '{title.strip()}' already exists for this release")
        item = ActionItem(
            release_id=release_id,
            title=title.strip(),
            assignee=assignee.strip(),
            due_at=due_at,
            status="open",
            source=source,
            reason="",
            created_at=now,
            created_by=actor,
        )
        session.add(item)
        session.flush()
        audit(
            session,
            at=now,
            actor=actor,
            action="action.created",
            entity="action_item",
            entity_id=item.id,
            release_id=release_id,
            payload={
                "title": item.title,
                "assignee": item.assignee,
                "due_at": due_at.isoformat(),
                "source": source,
            },
        )
        return item


def list_actions(
    session: Session,
    *,
    release_id: int | None = None,
    overdue_at: datetime | None = None,
    status: str | None = None,
) -> list[ActionItem]:
    query = select(ActionItem).order_by(ActionItem.due_at, ActionItem.id)
    if release_id is not None:
        query = query.where(ActionItem.release_id == release_id)
    if overdue_at is not None:
        query = query.where(ActionItem.status == "open", ActionItem.due_at < overdue_at)
    if status is not None:
        query = query.where(ActionItem.status == status)
    return list(session.scalars(query))


def complete(
    store: Store, action_id: int, *, actor: str, now: datetime, carry_reason: str | None = None
) -> ActionItem:
    """Mark done (the assignee or an owner) or carry over with a reason (an owner only)."""
    with store.read() as session:
        item = _get(session, action_id)
        release_id, assignee = item.release_id, item.assignee
    if carry_reason is not None:
        if not carry_reason.strip():
            raise VigilError("carrying an action item over needs a reason")
        authorize(store, release_id, actor, OWNERS, "carry an action item over", now)
    elif actor != assignee:
        authorize(store, release_id, actor, OWNERS, f"close an action item assigned to {assignee}", now)
    state = ActionState.DONE if carry_reason is None else ActionState.CARRIED_OVER
    return _close(store, action_id, state, carry_reason or "", actor=actor, now=now)


def cancel(store: Store, action_id: int, *, actor: str, now: datetime, reason: str) -> ActionItem:
    """Cancel an open action item, with a reason; the Release or Monitoring Owner only (refusals audited)."""
    if not reason.strip():
        raise VigilError("cancelling an action item needs a reason (--reason)")
    with store.read() as session:
        release_id = _get(session, action_id).release_id
    authorize(store, release_id, actor, OWNERS, "cancel an action item", now)
    return _close(store, action_id, ActionState.CANCELLED, reason, actor=actor, now=now)


def _close(store: Store, action_id: int, state: ActionState, reason: str, *, actor: str,
           now: datetime) -> ActionItem:
    with store.write() as session:
        item = _get(session, action_id)
        ensure_open(session, item.release_id, f"{state.value.replace('_', ' ')} action item {action_id}")
        if item.status != ActionState.OPEN:
            raise Conflict(f"action item {action_id} is already {item.status.replace('_', ' ')}")
        item.status = state.value
        item.reason, item.closed_at, item.closed_by = reason.strip(), now, actor
        audit(
            session,
            at=now,
            actor=actor,
            action=f"action.{item.status}",
            entity="action_item",
            entity_id=item.id,
            release_id=item.release_id,
            payload={"title": item.title, "reason": item.reason},
        )
        return item


def _get(session: Session, action_id: int) -> ActionItem:
    item = session.get(ActionItem, action_id)
    if item is None:
        raise NotFound(f"no action item {action_id} (`vigil action list` shows them)")
    return item
