"""What every request handler shares: the store, the clock, the settings, templates, usage recorder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request
from starlette.templating import Jinja2Templates

from vigil.clock import Clock
from vigil.store import Store
from vigil.web.usage import UsageRecorder


@dataclass
class WebContext:
    store: Store
    clock: Clock
    public_read: bool
    templates: Jinja2Templates
    usage: UsageRecorder
    # token id -> when we last wrote its last_used_at (written at most once a minute per token)
    token_seen: dict[int, datetime] = field(default_factory=dict)


def ctx(request: Request) -> WebContext:
    context: WebContext = request.app.state.vigil
    return context
