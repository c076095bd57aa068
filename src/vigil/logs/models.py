"""Log records, follow-mode cursors, frozen excerpts (forensic evidence) and retention policies.

Records link to releases by fields (service name, optional release label), not by foreign key: logs
arrive before, during and after a release is registered, and from services vigil does not watch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.base import Base
from vigil.store.integrity import tracked
from vigil.store.types import UTCTimestamp

# On SQLite only an INTEGER PRIMARY KEY is the rowid, which the FTS5 index refers to.
RecordId = BigInteger().with_variant(Integer(), "sqlite")
JsonDoc = JSON().with_variant(JSONB(), "postgresql")

LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")


class LogRecord(Base):
    __tablename__ = "log_records"
    # One index only: each extra index costs a fifth of the ingest rate (measured); service and level
    # filters ride on the time index or the text index. AUTOINCREMENT on SQLite: ids are never reused,
    # which the separate text index relies on (vigil.store.logtext_sqlite).
    __table_args__ = (Index("ix_log_records_ts", "ts"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(RecordId, primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCTimestamp)
    level: Mapped[str] = mapped_column(String(8))  # one of LEVELS, or "" when the line has none
    service: Mapped[str] = mapped_column(String(200))
    release: Mapped[str | None] = mapped_column(String(200))
    host: Mapped[str | None] = mapped_column(String(200))
    component: Mapped[str | None] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    format: Mapped[str] = mapped_column(String(20))  # which parser read it; "raw" when none could
    source: Mapped[str] = mapped_column(String(500))


class LogBlock(Base):
    """The time span of each block of 4096 record ids: lets a text search stop reading matches early
    (see ``vigil.logs.index_sqlite``). Only an upper bound after retention deletes, which is enough."""

    __tablename__ = "log_blocks"

    block: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                       autoincrement=False)
    min_ts: Mapped[int] = mapped_column(BigInteger)
    max_ts: Mapped[int] = mapped_column(BigInteger)


class LogCursor(Base):
    """How far follow mode has read a file; committed in the same transaction as the lines it covers."""

    __tablename__ = "log_cursors"

    path: Mapped[str] = mapped_column(String(1000), primary_key=True)
    device: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    head_sha256: Mapped[str] = mapped_column(String(64))  # of the first line: tells rotated files apart
    offset: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCTimestamp)


@tracked()
class LogExcerpt(Base):
    """A saved search and its matching lines, copied at the moment of attaching and never updated."""

    __tablename__ = "log_excerpts"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    matched_count: Mapped[int] = mapped_column(Integer)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    created_by: Mapped[str] = mapped_column(String(200))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    incident_ref: Mapped[str | None] = mapped_column(String(200), index=True)


class LogRetention(Base):
    """Keep records of ``service`` (``*`` = every service without its own rule) for ``max_age_days``."""

    __tablename__ = "log_retention"

    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    max_age_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCTimestamp)
