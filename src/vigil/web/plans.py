"""Parsed plans, cached by snapshot id: a plan snapshot never changes, and parsing YAML per row of the
overview would cost more than the rest of the page together."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy.orm import Session

from vigil.plan import Plan
from vigil.releases.models import Release
from vigil.releases.service import plan_of

_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[str, int], Plan] = OrderedDict()
_MAX = 512


def database_of(session: Session) -> str:
    """Which database a session reads, so caches never mix two stores used by one process."""
    bind = session.get_bind()
    return str(bind.engine.url)


def cached_plan(session: Session, release: Release) -> Plan:
    key = (database_of(session), release.plan_id)
    with _LOCK:
        plan = _CACHE.get(key)
        if plan is not None:
            _CACHE.move_to_end(key)
            return plan
    plan = plan_of(release)
    with _LOCK:
        _CACHE[key] = plan
        while len(_CACHE) > _MAX:
            _CACHE.popitem(last=False)
    return plan
