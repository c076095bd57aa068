"""Every test checks that the code it drives audits what the web pages show.

The web caches pages per store version, and the version is the audit chain's head (web/freshness.py): a
write that a page shows but that appends nothing to the chain would leave every cached page stale until
some other write came along. So any committed transaction that writes a table outside ``UNSEEN`` without
writing ``audit_log`` fails the test that caused it. A test that writes past the services on purpose (to
tamper with evidence, to provoke a constraint) says so with ``@pytest.mark.unaudited_writes``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# Tables no cached page reads: telemetry, delivery and work-claim bookkeeping, the log store (searched live), schema.
UNSEEN = re.compile(r"^(audit_log|audit_head|notifications|due_work|alert_rule_states|dashboard_views|server_secrets"
                    r"|log_\w+|_alembic_tmp_\w+|alembic_version)$")
# Updates no page shows: a token's last use, an alert firing again (its occurrence count and time).
UNSEEN_UPDATES = re.compile(r"^\s*UPDATE\s+(api_tokens\s+SET\s+last_used_at=\S+|alerts\s+SET\s+(last_seen_at=\S+,\s*)?"
                            r"occurrences=\S+)\s+WHERE", re.I)
WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.I)

_pending: dict[int, set[str]] = {}  # tables written per DBAPI connection, in its open transaction
unaudited: list[str] = []


def _key(conn: Connection) -> int:
    return id(conn.connection.dbapi_connection)


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn: Connection, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
    found = WRITE.match(statement)
    if found and not UNSEEN_UPDATES.match(statement):
        _pending.setdefault(_key(conn), set()).add(found.group(1).lower())


@event.listens_for(Engine, "commit")
def _check_commit(conn: Connection) -> None:
    tables = _pending.pop(_key(conn), set())
    if "alembic_version" in tables:  # a migration: it reshapes stored rows, it is not a change of record
        return
    if "audit_log" not in tables and (shown := sorted(t for t in tables if not UNSEEN.match(t))):
        unaudited.append(", ".join(shown))


@event.listens_for(Engine, "rollback")
def _forget(conn: Connection) -> None:
    _pending.pop(_key(conn), None)


@pytest.fixture(autouse=True)
def writes_are_audited(request: pytest.FixtureRequest) -> Iterator[None]:
    unaudited.clear()
    yield
    if request.node.get_closest_marker("unaudited_writes") is None:
        assert not unaudited, f"committed without an audit entry, so cached pages would not change: {unaudited}"
