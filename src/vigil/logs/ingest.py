"""Reading lines into the store in large batches, one transaction per batch.

Speed comes from doing as little per line as possible in Python: parse, build one tuple, and hand the
batch to the engine's bulk path (``executemany`` on SQLite, COPY on PostgreSQL). A line that no parser
understands is stored as a raw record with the ingest time, and counted.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import IO

import orjson
from sqlalchemy.orm import Session

from vigil.errors import StoreError
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

    def rows(self, lines: Iterable[str]) -> Iterator[Row]:
        """One row per line that is not blank (blank lines are only counted). One loop with everything
        in locals: this runs once per ingested line."""
        result, formats, parse, source = self.result, self.result.formats, self.parser.parse, self.source
        now, service, release, name = self.now_micros, source.service, source.release, source.name
        dumps = orjson.dumps
        for line in lines:
            line = line.rstrip("\r\n")
            if not line or line.isspace():
                result.blank += 1
                continue
            ts, level, message, fmt, component, host, line_service, line_release, fields = parse(line)
            result.lines += 1
            formats[fmt] = formats.get(fmt, 0) + 1
            if fmt == "raw":
                result.unparsed += 1
            yield (now if ts is None else ts, level, line_service or service, line_release or release, host,
                   component, message, line, None if fields is None else dumps(fields).decode(), fmt, name)


def insert_rows(session: Session, rows: list[Row]) -> None:
    if rows:
        log_index(session).insert_rows(session, rows)


def ingest_lines(store: Store, lines: Iterable[str], source: Source, *, now: datetime,
                 batch: int = BATCH) -> IngestResult:
    """Store every line; each batch commits on its own (a crash loses at most the batch in flight).

    Parsing (Python, holding the GIL) and writing (SQLite/PostgreSQL, which release the GIL while they
    work) overlap: this thread parses the next batch while a writer thread commits the previous one.
    """
    builder = RowBuilder(source, now=now)
    writer = _Writer(store)
    try:
        pending: list[Row] = []
        for row in builder.rows(lines):
            pending.append(row)
            if len(pending) >= batch:
                writer.put(pending)
                pending = []
        if pending:
            writer.put(pending)
    finally:
        writer.finish()
    return builder.result


class _Writer:
    """Commits batches on its own thread, at most two batches behind the parser."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: queue.Queue[list[Row] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="vigil-log-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (rows := self.queue.get()) is not None:
            if self.error is not None:
                continue  # keep draining so the parser never blocks on a dead writer
            try:
                with self.store.write() as session:
                    insert_rows(session, rows)
            except Exception as exc:  # re-raised on the caller's thread by put() or finish()
                self.error = StoreError(f"cannot store log lines in {self.store.safe_url}: {exc}")
                self.error.__cause__ = exc

    def put(self, rows: list[Row]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(rows)

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def read_lines(stream: IO[bytes]) -> Iterator[str]:
    """Lines of a byte stream as text; bytes that are not UTF-8 are kept as U+FFFD, never dropped."""
    for chunk in stream:
        yield chunk.decode("utf-8", errors="replace")
