"""Failed sign-ins: limited per client address and written to the audit chain.

A token is 43 random characters, so guessing is hopeless anyway; the limit keeps a guesser from
filling the audit chain and the server's time, and the audit entries show who tried from where."""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime, timedelta

from vigil.store import Store
from vigil.store.audit import append as audit

MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)
ANONYMOUS = "anonymous"


class TooManyAttempts(Exception):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"too many failed sign-ins from this address; try again in {retry_after}")
        self.retry_after_seconds = max(1, math.ceil(retry_after.total_seconds()))


class SignInLimiter:
    """Per address, the times of its recent failures (this process only: each worker limits its own)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW, max_addresses: int = 10_000):
        self.max_failures, self.window, self.max_addresses = max_failures, window, max_addresses
        self._failures: dict[str, deque[datetime]] = {}

    def check(self, address: str, now: datetime) -> None:
        """Raise ``TooManyAttempts`` while ``address`` has used up its failures in the window."""
        recent = self._recent(address, now)
        if len(recent) >= self.max_failures:
            raise TooManyAttempts(recent[0] + self.window - now)

    def failed(self, store: Store, address: str, now: datetime, reason: str) -> None:
        if address not in self._failures and len(self._failures) >= self.max_addresses:
            self._failures.pop(next(iter(self._failures)))  # the oldest address goes first
        self._recent(address, now).append(now)
        with store.write() as session:
            audit(session, at=now, actor=ANONYMOUS, action="auth.sign_in_failed", entity="web_session",
                  entity_id=address[:100], payload={"address": address[:100], "reason": reason})

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        recent = self._failures.setdefault(address, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
