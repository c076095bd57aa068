"""Versions of a sealed document: the one sealing path for everything that describes a changing record.

A sealed item is never edited. A document is identified by its release, kind and file name; each time what
it describes changes, a new version is sealed beside the old ones. Version numbers and "superseded by" are
derived from the archive itself (items of the same identity, in sealing order), so they cannot drift from
what is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.evidence.archive import safe_name
from vigil.evidence.models import EvidenceItem
from vigil.evidence.service import seal

# Renders the document as it reads in version ``version``, written at ``at``.
Render = Callable[[int, datetime], bytes]


@dataclass(frozen=True)
class VersionInfo:
    version: int
    superseded_by: int | None  # the next version's number, or None for the current one

    def label(self) -> str:
        return f"v{self.version}" + (f", superseded by v{self.superseded_by}" if self.superseded_by else "")


def versions(session: Session, release_id: int | None, kind: str, filename: str) -> list[EvidenceItem]:
    """Every sealed version of one document, oldest first (purged ones included: they keep their number)."""
    query = select(EvidenceItem).where(EvidenceItem.kind == kind, EvidenceItem.filename == safe_name(filename))
    query = query.where(EvidenceItem.release_id.is_(None) if release_id is None
                        else EvidenceItem.release_id == release_id)
    return list(session.scalars(query.order_by(EvidenceItem.id)))


def version_infos(session: Session, items: Iterable[EvidenceItem]) -> dict[int, VersionInfo]:
    """Each item's version number and, where a later version exists, which one supersedes it."""
    out: dict[int, VersionInfo] = {}
    for item in items:
        if item.id in out:
            continue
        history = versions(session, item.release_id, item.kind, item.filename)
        for number, version in enumerate(history, start=1):
            later = number + 1 if number < len(history) else None
            out[version.id] = VersionInfo(number, later)
    return out


def seal_version(session: Session, root: Path, release_id: int, *, kind: str, requirement_ids: list[str],
                 filename: str, media_type: str, render: Render, creator: str, now: datetime,
                 only_if_changed: bool = True) -> tuple[EvidenceItem, bool]:
    """Seal the next version of a document; return it and True, or the current version and False.

    With ``only_if_changed`` nothing is sealed when the document, rendered as its current version at that
    version's own time, still has the sealed bytes: what it describes has not changed since.
    """
    history = versions(session, release_id, kind, filename)
    current = history[-1] if history else None
    if only_if_changed and current is not None and not current.purged:
        again = render(len(history), current.created_at)
        if hashlib.sha256(again).hexdigest() == current.sha256:
            return current, False
    content = render(len(history) + 1, now)
    item = seal(session, root, release_id, kind=kind, requirement_ids=requirement_ids, content=content,
                filename=filename, media_type=media_type, creator=creator, now=now)
    return item, True
