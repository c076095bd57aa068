"""Is what this process worked out earlier still true? The store's version, read once per request, and
the bounded caches keyed by it.

Every state change in vigil appends to the audit chain inside its own transaction, so the chain head's
sequence number is a version of the whole store: it moves, atomically with the change, whenever anything
a page or an API read shows changes, whichever process wrote it (the watch CLI, another server worker).
What it does not move for is telemetry (dashboard views, a token's last use) and alert re-fires, which
only bump an occurrence counter no page shows. Every test runs under a guard that fails it when the code
it drives commits a write a page shows without an audit entry (tests/audit_guard.py). A request reads the
version first, then looks up or
builds what it needs under that version; a build reads the store after the version was read, so it is
never older than the version it is filed under.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # plans and charts use the cache outside the web server too: no web imports for them
    from fastapi import Request

    from vigil.store import Store

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

VERSION_SQL = "SELECT seq FROM audit_head WHERE id = 1"


def store_version(store: Store) -> int:
    """The audit chain's head sequence number (0 for an empty store): one primary-key read."""
    found = store.read_scalar(VERSION_SQL)
    return int(found) if found is not None else 0


def request_version(request: Request) -> int:
    """The store's version as this request first saw it (read once, then kept with the request)."""
    version: int | None = getattr(request.state, "store_version", None)
    if version is None:
        version = request.state.store_version = store_version(request.app.state.vigil.store)
    return version


class LruCache(Generic[K, V]):
    """A bounded, thread-safe map that forgets the least recently used entry first.

    ``get_or_build`` builds a missing value once even when many threads ask for it at the same moment
    (a version change under load would otherwise have every worker thread rebuild the same page).
    """

    def __init__(self, max_items: int) -> None:
        self._max = max_items
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[K, threading.Lock] = {}

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            gate = self._building.setdefault(key, threading.Lock())
        try:
            with gate:
                found = self.get(key)  # another thread may have built it while this one waited
                if found is None:
                    found = build()
                    self.put(key, found)
                return found
        finally:
            with self._lock:
                self._building.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
