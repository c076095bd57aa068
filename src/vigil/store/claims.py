"""Which worker looks after a release right now, so several watchers don't duplicate each other's work.

On PostgreSQL a worker takes a session-level advisory lock on the release for one round of work
(``pg_try_advisory_lock``, which never waits: a busy release is simply left to its current worker). The
lock lives in the database session, so a worker killed with SIGKILL drops it with its connection. On
SQLite one process watches a store, and writers are serialised anyway; the claim always succeeds.
Either way the unique key (release, checkpoint) is what guarantees nothing is stored twice; the claim
only saves the duplicated effort of reading metrics and losing the race.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from vigil.store.db import Store

# Arbitrary constant naming vigil's release claims among the database's advisory locks.
_NAMESPACE = 7_110_129


@contextmanager
def release_claim(store: Store, release_id: int) -> Iterator[bool]:
    """Yield whether this worker holds the release; the claim is dropped when the block ends."""
    if store.is_sqlite:
        yield True
        return
    with store.engine.connect() as conn:
        held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:ns, :id)"),
                                 {"ns": _NAMESPACE, "id": release_id}).scalar())
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": _NAMESPACE, "id": release_id})
                conn.commit()
