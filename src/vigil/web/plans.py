"""Which database a web session reads, and the plan of a release (parsed once per snapshot).

Parsed plans are cached for the whole process by ``vigil.plan.cache`` (through ``plan_of``), keyed by the
snapshot's hash, so no web cache of its own is needed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigil.plan import Plan
from vigil.releases.models import Release
from vigil.releases.service import plan_of


def database_of(session: Session) -> str:
    """Which database a session reads, so caches never mix two stores used by one process."""
    bind = session.get_bind()
    return str(bind.engine.url)


def cached_plan(session: Session, release: Release) -> Plan:
    """``plan_of`` (kept for the pages' callers; the session is not needed any more)."""
    return plan_of(release)
