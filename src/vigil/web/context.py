"""What every request handler shares: the store, the clock, the settings, templates, usage recorder, and
this application's caches (per application, so two stores served by one process never mix)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from starlette.templating import Jinja2Templates

from vigil.access.service import Identity
from vigil.clock import Clock
from vigil.store import Store
from vigil.usage.service import UsageRecorder
from vigil.web.freshness import LruCache
from vigil.web.signin import SignInLimiter


@dataclass
class WebContext:
    store: Store
    clock: Clock
    public_read: bool
    templates: Jinja2Templates
    usage: UsageRecorder
    # token id -> when we last wrote its last_used_at (written at most once a minute per token)
    token_seen: dict[int, datetime] = field(default_factory=dict)
    # (credential kind, token or session-id digest, store version) -> the person (see auth._resolve)
    identities: LruCache[tuple[str, object, int], tuple[Identity, datetime | None]] = field(
        default_factory=lambda: LruCache(1024)
    )
    signins: SignInLimiter = field(default_factory=SignInLimiter)
    # what the pages and the API read, per store version (see web.reads)
    views: LruCache[tuple[Any, ...], Any] = field(default_factory=lambda: LruCache(512))
    # finished response bodies with their ETags, per store version and viewer (see web.reads)
    bodies: LruCache[tuple[Any, ...], Any] = field(default_factory=lambda: LruCache(256))


def ctx(request: Request) -> WebContext:
    context: WebContext = request.app.state.vigil
    return context
