"""Retention: delete log records older than their service's limit.

A rule names a service, or ``*`` for every service without a rule of its own. Rules and each purge are
audited; the purge deletes in one transaction per rule (the text index follows: on SQLite through an
outbox the indexer applies, see vigil.store.logtext_sqlite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from vigil.errors import NotFound, VigilError
from vigil.logs.index import catch_up_text_index
from vigil.logs.models import LogRecord, LogRetention
from vigil.store import Store
from vigil.store.audit import append as audit

ALL = "*"


class RetentionError(VigilError):
    """A retention rule that cannot be kept (zero or negative days)."""


@dataclass(frozen=True)
class Purged:
    service: str
    cutoff: datetime
    deleted: int


def set_rule(store: Store, service: str, days: int, *, now: datetime, actor: str) -> LogRetention:
    if days < 1:
        raise RetentionError(f"keep logs for at least one day, not {days}")
    with store.write() as session:
        rule = session.get(LogRetention, service)
        if rule is None:
            rule = LogRetention(service=service, max_age_days=days, updated_at=now)
            session.add(rule)
        rule.max_age_days, rule.updated_at = days, now
        audit(session, at=now, actor=actor, action="logs.retention_set", entity="log_retention",
              entity_id=service, payload={"service": service, "days": days})
    return rule


def remove_rule(store: Store, service: str, *, now: datetime, actor: str) -> None:
    with store.write() as session:
        rule = session.get(LogRetention, service)
        if rule is None:
            raise NotFound(f"no retention rule for {service!r}")
        session.delete(rule)
        audit(session, at=now, actor=actor, action="logs.retention_removed", entity="log_retention",
              entity_id=service, payload={"service": service})


def rules(store: Store) -> list[LogRetention]:
    with store.read() as session:
        return list(session.scalars(select(LogRetention).order_by(LogRetention.service)))


def apply(store: Store, *, now: datetime, actor: str) -> list[Purged]:
    """Delete what every rule says has expired; returns what each rule removed."""
    out = []
    current = rules(store)
    named = [r.service for r in current if r.service != ALL]
    for rule in current:
        cutoff = now - timedelta(days=rule.max_age_days)
        scope = (LogRecord.service.not_in(named) if named else LogRecord.id.is_not(None)) \
            if rule.service == ALL else LogRecord.service == rule.service
        with store.write() as session:
            result = session.execute(delete(LogRecord).where(scope, LogRecord.ts < cutoff))
            deleted = int(getattr(result, "rowcount", 0) or 0)
            audit(session, at=now, actor=actor, action="logs.retention_applied", entity="log_retention",
                  entity_id=rule.service, payload={"cutoff": cutoff.isoformat(), "deleted": deleted})
        out.append(Purged(rule.service, cutoff, deleted))
    catch_up_text_index(store)  # the text index forgets the deleted lines now rather than at the next ingest
    return out
