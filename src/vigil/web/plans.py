"""Parsed plans, cached by snapshot id: a plan snapshot never changes, and parsing YAML per row of the
overview would cost more than the rest of the page together."""

from __future__ import annotations

import threading
from collections import OrderedDict

from vigil.plan import Plan
from vigil.releases.models import Release
from vigil.releases.service import plan_of

_LOCK = threading.Lock()
_CACHE: OrderedDict[int, Plan] = OrderedDict()
_MAX = 512


def cached_plan(release: Release) -> Plan:
    with _LOCK:
        plan = _CACHE.get(release.plan_id)
        if plan is not None:
            _CACHE.move_to_end(release.plan_id)
            return plan
    plan = plan_of(release)
    with _LOCK:
        _CACHE[release.plan_id] = plan
        while len(_CACHE) > _MAX:
            _CACHE.popitem(last=False)
    return plan
