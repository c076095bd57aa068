"""Evidence: a saved search and its matching lines, frozen when attached.

The lines are copied into the excerpt (not referenced), with a SHA-256 over their canonical JSON, so
later ingest, retention or edits to the records cannot change what was attached; ``verify`` re-checks
the hash. Attaching is audited.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from vigil.errors import NotFound, VigilError
from vigil.logs.models import LogExcerpt
from vigil.logs.search import LogFilter, all_matches, count
from vigil.releases.service import get_release
from vigil.store import Store
from vigil.store.audit import append as audit

MAX_LINES = 5_000


class EmptyExcerpt(VigilError):
    """The search matched no lines, so there is nothing to attach."""


def content_hash(lines: list[dict[str, Any]]) -> str:
    return hashlib.sha256(orjson.dumps(lines, option=orjson.OPT_SORT_KEYS)).hexdigest()


def attach(store: Store, flt: LogFilter, *, now: datetime, actor: str, release: str | None = None,
           incident_ref: str | None = None, max_lines: int = MAX_LINES) -> LogExcerpt:
    """Freeze the lines matching ``flt`` (oldest first, at most ``max_lines``) as an excerpt."""
    # The search runs in a read transaction (one snapshot for the count and the lines): text search
    # needs a reader's view of the index (vigil.store.logtext_sqlite); the excerpt is written after.
    with store.read() as session:
        release_id = get_release(session, release).id if release is not None else None
        matched = count(session, flt)
        if matched == 0:
            raise EmptyExcerpt("the search matched no log lines; nothing was attached")
        lines = [line.to_json() for line in all_matches(session, flt, cap=max_lines)]
    filters = {**flt.describe(), "max_lines": max_lines, "truncated": matched > len(lines)}
    with store.write() as session:
        excerpt = LogExcerpt(query=flt.text, filters=filters, matched_count=matched, lines=lines,
                             sha256=content_hash(lines), created_at=now, created_by=actor,
                             release_id=release_id, incident_ref=incident_ref)
        session.add(excerpt)
        session.flush()
        audit(session, at=now, actor=actor, action="logs.excerpt_attached", entity="log_excerpt",
              entity_id=excerpt.id, release_id=release_id,
              payload={"query": flt.text, "matched": matched, "stored": len(lines), "sha256": excerpt.sha256,
                       "incident_ref": incident_ref})
    return excerpt


def get_excerpt(store: Store, excerpt_id: int) -> LogExcerpt:
    with store.read() as session:
        excerpt = session.get(LogExcerpt, excerpt_id)
        if excerpt is None:
            raise NotFound(f"no log excerpt #{excerpt_id}")
        return excerpt


def list_excerpts(store: Store, *, incident_ref: str | None = None) -> list[LogExcerpt]:
    with store.read() as session:
        query = select(LogExcerpt).order_by(LogExcerpt.id)
        if incident_ref is not None:
            query = query.where(LogExcerpt.incident_ref == incident_ref)
        return list(session.scalars(query))


def verify(excerpt: LogExcerpt) -> bool:
    """True when the stored lines still hash to the value recorded when they were attached."""
    return content_hash(excerpt.lines) == excerpt.sha256
