"""Reading lines into the store in large batches, one transaction per batch.

Speed comes from doing as little per line as possible in Python: parse, build one tuple, and hand the
batch to the engine's bulk path (``executemany`` on SQLite, COPY on PostgreSQL). A line that no parser
understands is stored as a raw record with the ingest time, and counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import IO

import orjson
from sqlalchemy.orm import Session

from vigil.logs.parsers import LineParser
from vigil.logs.timestamps import micros
from vigil.store import Store
from vigil.store.logindex import Row, log_index

BATCH = 20_000


@dataclass
class IngestResult:
    lines: int = 0
    unparsed: int = 0
    blank: int = 0
    formats: dict[str, int] = field(default_factory=dict)

    def add(self, other: IngestResult) -> None:
        self.lines += other.lines
        self.unparsed += other.unparsed
        self.blank += other.blank
        for name, count in other.formats.items():
            self.formats[name] = self.formats.get(name, 0) + count


@dataclass(frozen=True)
class Source:
    """Where lines come from and the defaults for what the lines do not say themselves."""

    name: str  # a path, "stdin" or "http"
    service: str
    release: str | None = None
    formats: list[str] | None = None
    tz: tzinfo = UTC


class RowBuilder:
    """Turns raw lines of one source into rows for ``LogIndex.insert_rows``."""

    def __init__(self, source: Source, *, now: datetime) -> None:
        self.source = source
        self.parser = LineParser(source.formats, now=now, tz=source.tz)
        self.now_micros = micros(now)
        self.result = IngestResult()

    def row(self, line: str) -> Row | None:
        line = line.rstrip("\r\n")
        if not line.strip():
            self.result.blank += 1
            return None
        parsed = self.parser.parse(line)
        result = self.result
        result.lines += 1
        formats = result.formats
        formats[parsed.format] = formats.get(parsed.format, 0) + 1
        if parsed.format == "raw":
            result.unparsed += 1
        source = self.source
        return (self.now_micros if parsed.ts is None else parsed.ts, parsed.level,
                parsed.service or source.service, parsed.release or source.release, parsed.host,
                parsed.component, parsed.message, line,
                None if parsed.fields is None else orjson.dumps(parsed.fields).decode(),
                parsed.format, source.name)

    def rows(self, lines: Iterable[str]) -> Iterator[Row]:
        for line in lines:
            row = self.row(line)
            if row is not None:
                yield row


def insert_rows(session: Session, rows: list[Row]) -> None:
    if rows:
        log_index(session).insert_rows(session, rows)


def ingest_lines(store: Store, lines: Iterable[str], source: Source, *, now: datetime,
                 batch: int = BATCH) -> IngestResult:
    """Store every line; each batch commits on its own (a crash loses at most the batch in flight)."""
    builder = RowBuilder(source, now=now)
    pending: list[Row] = []
    for row in builder.rows(lines):
        pending.append(row)
        if len(pending) >= batch:
            with store.write() as session:
                insert_rows(session, pending)
            pending = []
    if pending:
        with store.write() as session:
            insert_rows(session, pending)
    return builder.result


def read_lines(stream: IO[bytes]) -> Iterator[str]:
    """Lines of a byte stream as text; bytes that are not UTF-8 are kept as U+FFFD, never dropped."""
    for chunk in stream:
        yield chunk.decode("utf-8", errors="replace")
