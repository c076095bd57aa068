"""Action items: the item's new state, then a new version of every sealed document it made stale.

A sealed retrospective (or monitoring log) lists the action items as they stood when it was sealed. Added,
done, carried over or cancelled, an item changes what such a document says, and a sealed document is never
edited: so its next version is sealed in the same act, whoever closed the item and from wherever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from vigil.evidence.models import EvidenceItem
from vigil.reports.sealing import refresh_sealed
from vigil.retro import actions
from vigil.retro.models import ActionItem
from vigil.store import Store


@dataclass(frozen=True)
class Changed:
    item: ActionItem
    resealed: list[EvidenceItem]  # the new versions sealed because of it


def add_action(store: Store, root: Path, release_ref: str, *, title: str, assignee: str, due_at: datetime,
               source: str, actor: str, now: datetime) -> Changed:
    item = actions.add_action(store, release_ref, title=title, assignee=assignee, due_at=due_at, source=source,
                              actor=actor, now=now)
    return Changed(item, refresh_sealed(store, root, item.release_id, creator=actor, now=now))


def complete_action(store: Store, root: Path, action_id: int, *, actor: str, now: datetime,
                    carry_reason: str | None = None) -> Changed:
    """Done (or, with ``carry_reason``, carried over to later work)."""
    item = actions.complete(store, action_id, actor=actor, now=now, carry_reason=carry_reason)
    return Changed(item, refresh_sealed(store, root, item.release_id, creator=actor, now=now))


def cancel_action(store: Store, root: Path, action_id: int, *, actor: str, now: datetime, reason: str) -> Changed:
    item = actions.cancel(store, action_id, actor=actor, now=now, reason=reason)
    return Changed(item, refresh_sealed(store, root, item.release_id, creator=actor, now=now))
