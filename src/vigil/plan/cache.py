"""Parsed plans, one per stored snapshot for the whole process.

A plan snapshot never changes once stored, and parsing its YAML costs tens of milliseconds: a watch, a page
or a report that needs the plan many times must parse it once. This is the one cache for every layer
(watch, alerts, reports, governance, web): they all reach it through ``vigil.releases.service.plan_of``.

The key is the snapshot's SHA-256. The text is fetched only on a miss (a caller can then leave it unloaded),
and a text whose hash is not the stored one is parsed but never cached under that key, so the cache cannot
hand out a plan that differs from the text it stands for. Plans are frozen pydantic models, safe to share.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from vigil.plan.loader import parse_plan
from vigil.plan.schema import Plan

# Enough for every release a worker or the web app touches; about 100 kB a plan.
MAX_PLANS = 1024

_lock = threading.Lock()
_plans: OrderedDict[str, Plan] = OrderedDict()


def snapshot_plan(sha256: str, source: Callable[[], tuple[str, str]]) -> Plan:
    """The parsed plan of the snapshot whose hash is ``sha256``; ``source()`` gives (text, name) on a miss."""
    with _lock:
        plan = _plans.get(sha256)
        if plan is not None:
            _plans.move_to_end(sha256)
            return plan
    text, name = source()
    # Parsed outside the lock: two threads missing the same snapshot at once both parse it, harmlessly.
    plan = parse_plan(text, name)
    actual = hashlib.sha256(text.encode()).hexdigest()
    with _lock:
        _plans[actual] = plan
        _plans.move_to_end(actual)
        while len(_plans) > MAX_PLANS:
            _plans.popitem(last=False)
    return plan


def clear_plan_cache() -> None:
    """Forget every parsed plan (tests that count parses start from here)."""
    with _lock:
        _plans.clear()
