"""The append-only audit log: every state change appends an entry whose hash covers the previous one.

Changing, removing or re-ordering any row breaks the chain at that row, which ``verify_chain`` reports.
The single-row ``audit_head`` table is locked while appending so concurrent writers (several watch
workers on PostgreSQL) cannot fork the chain; on SQLite writers are already serialised.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.store.base import Base
from vigil.store.types import UTCTimestamp, to_micros

GENESIS = "0" * 64
HEAD = "vigil.audit_head"  # session.info key: the head this transaction's appends moved to


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UTCTimestamp)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(Text)


def entry_hash(seq: int, at: datetime, actor: str, action: str, entity: str, entity_id: str,
               release_id: int | None, payload: dict[str, Any], prev_hash: str) -> str:
    body = json.dumps(
        [seq, to_micros(at), actor, action, entity, entity_id, release_id, payload, prev_hash],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(session: Session, *, at: datetime, actor: str, action: str, entity: str, entity_id: object,
           release_id: int | None = None, payload: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry inside the caller's transaction (so it commits or rolls back with the change)."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    # Round-trip through JSON so the hash is computed over exactly what the database will return.
    clean = json.loads(json.dumps(payload or {}, default=str))
    seq = head.seq + 1
    digest = entry_hash(seq, at, actor, action, entity, str(entity_id), release_id, clean, head.hash)
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, entity=entity, entity_id=str(entity_id),
                       release_id=release_id, payload=clean, prev_hash=head.hash, hash=digest)
    session.add(entry)
    head.seq, head.hash = seq, digest
    session.info[HEAD] = (seq, digest)  # published outside the store once the transaction commits
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    message: str


def verify_chain(session: Session, *, since: tuple[int, str] | None = None) -> list[ChainProblem]:
    """Recompute every entry's hash and link; return what is wrong (empty when the chain is intact).

    ``since`` is ``(seq, hash)`` of an entry an earlier verification reached: only the entries after it are
    recomputed (the gate and the trace page); ``vigil verify`` always checks the whole chain.
    """
    problems: list[ChainProblem] = []
    prev, expected_seq = GENESIS, 1
    query = select(AuditEntry.id, AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
                   AuditEntry.entity, AuditEntry.entity_id, AuditEntry.release_id, AuditEntry.payload,
                   AuditEntry.prev_hash, AuditEntry.hash).order_by(AuditEntry.id)
    if since is not None:
        seq, digest = since
        held = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
        if held != digest:
            return [ChainProblem(seq, f"audit entry {seq}, verified before, is "
                                      f"{'gone' if held is None else 'altered'} (run `vigil verify`)")]
        prev, expected_seq = digest, seq + 1
        query = query.where(AuditEntry.seq > seq)
    for row in session.execute(query):
        (entry_id, seq_, at, actor, action, entity, entity_id, release_id, payload, prev_hash, digest_) = row
        if seq_ != expected_seq:
            problems.append(ChainProblem(seq_, f"entry {entry_id} has sequence {seq_}, "
                                               f"expected {expected_seq} (missing or re-ordered)"))
        if prev_hash != prev:
            problems.append(ChainProblem(seq_, f"audit entry {seq_} does not follow the entry "
                                               "before it (chain broken)"))
        recomputed = entry_hash(seq_, at, actor, action, entity, entity_id, release_id, payload, prev_hash)
        if recomputed != digest_:
            problems.append(ChainProblem(seq_, f"audit entry {seq_} ({action}) was altered"))
        prev, expected_seq = digest_, seq_ + 1
    head = session.get(AuditHead, 1)
    if head is not None and head.hash != prev:
        problems.append(ChainProblem(None, "the last audit entries were removed (head does not match)"))
    return problems
