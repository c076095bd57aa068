"""Which dashboards were opened, how often, by whom: recorded by the web server, summed up per release.

Views are buffered in memory and written in batches (every few seconds, and when the server stops), so
a busy dashboard does not turn every page view into a database write.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from vigil.releases.models import Person
from vigil.store import Store
from vigil.usage.models import DashboardView

# The log template's three dashboards, and the dashboard names the server records for them.
REPORTED = {
    "Primary Dashboard": "release",
    "Business Metrics": "business",
    "Infrastructure Dashboard": "infrastructure",
}


class UsageRecorder:
    def __init__(self, store: Store, max_buffer: int = 500) -> None:
        self._store, self._max = store, max_buffer
        self._lock = threading.Lock()
        self._pending: list[dict[str, object]] = []

    def record(self, dashboard: str, at: datetime, release_id: int | None, person_id: int | None) -> None:
        with self._lock:
            self._pending.append({"dashboard": dashboard, "at": at, "release_id": release_id, "person_id": person_id})
            full = len(self._pending) >= self._max
        if full:
            self.flush()

    def flush(self) -> int:
        with self._lock:
            rows, self._pending = self._pending, []
        if rows:
            with self._store.write() as session:
                session.execute(insert(DashboardView), rows)
        return len(rows)


@dataclass(frozen=True)
class UsageLine:
    views: int
    people: list[tuple[str, int]]  # (name, views), most views first
    anonymous: int
    first: datetime | None
    last: datetime | None


def usage_summary(session: Session, release_id: int) -> dict[str, UsageLine]:
    """Per reported dashboard of one release: views, who opened it how often, first and last view."""
    out: dict[str, UsageLine] = {}
    for title, name in REPORTED.items():
        where = (DashboardView.release_id == release_id, DashboardView.dashboard == name)
        views, first, last = session.execute(
            select(func.count(DashboardView.id), func.min(DashboardView.at), func.max(DashboardView.at)).where(*where)
        ).one()
        rows = session.execute(
            select(Person.name, func.count(DashboardView.id))
            .join(Person, Person.id == DashboardView.person_id)
            .where(*where)
            .group_by(Person.name)
            .order_by(func.count(DashboardView.id).desc(), Person.name)
        ).all()
        people = [(person, int(n)) for person, n in rows]
        out[title] = UsageLine(int(views), people, int(views) - sum(n for _, n in people), first, last)
    return out
