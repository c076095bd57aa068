"""What `vigil verify`, the gate and the trace page check: the chain, its published heads, every record.

``verify_store`` checks everything from the first entry. ``verify_recent`` is the cheap check made on
every gate and trace view: the chain from the last verified entry on, and the recently published heads;
when it finds nothing it marks the new head verified so the next check starts there. A change to an entry
before that mark, or to a domain record, is found by ``verify_store`` (`vigil verify`), not by it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.store import witness
from vigil.store.audit import AuditEntry, AuditHead, verify_chain
from vigil.store.integrity import verify_records


def witness_of(session: Session) -> Path | None:
    path = session.info.get(witness.WITNESS)
    return Path(path) if path else None


def verify_store(session: Session) -> list[str]:
    """Every problem with the chain, its published heads and the records it seals (empty: all intact)."""
    path = witness_of(session)
    problems = [p.message for p in verify_chain(session)]
    problems += [p.message for p in witness.check(session, path)]
    problems += [p.message for p in verify_records(session)]
    if not problems:
        _mark_verified(session, path)
    return problems


def check_published_head(session: Session, seq: int, digest: str) -> list[str]:
    """A head published elsewhere (an export's manifest, a ticket): the chain must still hold it."""
    held = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
    if held is None:
        return [f"audit entry {seq} of the published head is no longer in the chain (truncated or emptied)"]
    if held != digest:
        return [f"audit entry {seq} differs from the published head (the chain was rewritten and re-hashed)"]
    return []


def verify_recent(session: Session) -> list[str]:
    """The chain since the last verification and the recently published heads."""
    path = witness_of(session)
    mark = witness.last_verified(path)
    problems = [p.message for p in verify_chain(session, since=(mark.seq, mark.hash) if mark else None)]
    problems += [p.message for p in witness.check(session, path, tail=True)]
    if not problems:
        _mark_verified(session, path)
    return problems


def _mark_verified(session: Session, path: Path | None) -> None:
    head = session.get(AuditHead, 1)
    if path is not None and head is not None and head.seq > 0:
        last = witness.last_verified(path)
        if last is None or last.seq != head.seq:
            witness.publish(path, head.seq, head.hash, verified=True)
