"""The audit chain's head, published outside the database after every commit.

Whoever can write the database can rewrite the chain and recompute every hash, or cut its end off and
reset the head: the chain then checks out against itself. A copy of each head kept where the database
cannot reach (a file, by default beside a SQLite store; wherever ``VIGIL_AUDIT_WITNESS`` says, which for a
team server should be a disk or share the database's users cannot write) makes both visible: every
published head must still be in the chain, with the same hash.

The file is append-only JSON lines: ``{"seq": N, "hash": H}`` after each commit that moved the head, and
``{"verified": N, "hash": H}`` when a verification reached entry N, so the next check (the gate, the trace
page) starts there instead of at the first entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from vigil.store.audit import AuditEntry

WITNESS = "vigil.witness"  # session.info key: the witness file of the session's store
_TAIL = 64 * 1024
_log = logging.getLogger(__name__)  # bytes read from the end of the file for an incremental check


def default_witness(url: str, state_dir: Path | None = None) -> Path | None:
    """Beside a SQLite file (``vigil.db`` → ``vigil.db.audit-heads``); for a server database a file named
    after it in the user's state folder. None for an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        return None if not database or database == ":memory:" else Path(f"{database}.audit-heads")
    name = hashlib.sha256(parsed.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    base = state_dir or Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "vigil"
    return base / f"audit-heads-{name}.jsonl"


@dataclass(frozen=True)
class Mark:
    seq: int
    hash: str
    verified: bool = False


def publish(path: Path, seq: int, digest: str, *, verified: bool = False) -> bool:
    """Append one line (O_APPEND keeps concurrent writers' lines whole); false when the file cannot be
    written. A head not published leaves the file behind, never wrong: the heads in it stay true, and the
    next commit publishes the newer head; a verification not marked only means the next one starts earlier."""
    line = json.dumps({"verified" if verified else "seq": seq, "hash": digest}) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        _log.warning("could not publish the audit head to %s: %s", path, exc)
        return False
    return True


def marks(path: Path, *, tail: bool = False) -> list[Mark]:
    """The published heads and verification marks, oldest first (``tail``: only the file's last 64 KB)."""
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        if tail:
            handle.seek(max(0, path.stat().st_size - _TAIL))
        data = handle.read().decode("utf-8", errors="replace").splitlines()
    if tail and len(data) > 1:
        data = data[1:]  # the first line may start mid-way
    found: list[Mark] = []
    for line in data:
        try:
            item = json.loads(line)
            verified = "verified" in item
            found.append(Mark(int(item["verified" if verified else "seq"]), str(item["hash"]), verified))
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line after a crash; the marks before it still count
    return found


@dataclass(frozen=True)
class WitnessProblem:
    seq: int | None
    message: str


def check(session: Session, path: Path | None, *, tail: bool = False) -> list[WitnessProblem]:
    """Every published head (or, with ``tail``, the recent ones) must be in the chain with its hash."""
    if path is None:
        return []
    published = [m for m in marks(path, tail=tail) if not m.verified]
    any_entry = session.scalar(select(AuditEntry.seq).limit(1)) is not None
    if not path.is_file():
        return [WitnessProblem(None, f"the audit chain's published heads ({path}) are missing, so a rewritten "
                                     "or truncated chain cannot be told from the real one")] if any_entry else []
    if not published:
        return []
    by_seq = dict(session.execute(select(AuditEntry.seq, AuditEntry.hash).where(
        AuditEntry.seq.in_({m.seq for m in published}))).all())
    problems = []
    for mark in published:
        held = by_seq.get(mark.seq)
        if held is None:
            problems.append(WitnessProblem(mark.seq, f"audit entry {mark.seq} was published but is no longer in "
                                                     "the chain (the log was truncated or emptied)"))
        elif held != mark.hash:
            problems.append(WitnessProblem(mark.seq, f"audit entry {mark.seq} differs from the one published "
                                                     "(the chain was rewritten and re-hashed)"))
    return _first_of_each(problems)


def _first_of_each(problems: list[WitnessProblem]) -> list[WitnessProblem]:
    """One problem per kind: a truncation makes every later published head missing, which says it once."""
    seen: set[str] = set()
    kept = []
    for problem in problems:
        kind = "missing" if "no longer" in problem.message else "rewritten"
        if kind not in seen:
            seen.add(kind)
            kept.append(problem)
    return kept


def last_verified(path: Path | None) -> Mark | None:
    if path is None:
        return None
    verified = [m for m in marks(path, tail=True) if m.verified]
    return verified[-1] if verified else None
