"""Parsed plans, cached by snapshot id: a plan snapshot never changes, and parsing YAML per row of the
overview would cost more than the rest of the page together."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigil.plan import Plan
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.web.freshness import LruCache

_CACHE: LruCache[tuple[str, int], Plan] = LruCache(512)


def database_of(session: Session) -> str:
    """Which database a session reads, so caches never mix two stores used by one process."""
    bind = session.get_bind()
    return str(bind.engine.url)


def cached_plan(session: Session, release: Release) -> Plan:
    return _CACHE.get_or_build((database_of(session), release.plan_id), lambda: plan_of(release))
