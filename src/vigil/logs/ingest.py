"""Reading lines into the store in large batches, one transaction per batch.

Speed comes from doing as little per line as possible in Python: parse, build one tuple, and hand the
batch to the engine's bulk path (``executemany`` on SQLite, COPY on PostgreSQL). A line that no parser
understands is stored as a raw record with the ingest time, and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from operator import itemgetter
from typing import IO

import orjson
from sqlalchemy.orm import Session

from vigil.errors import StoreError
from vigil.logs.index import ROW_COLUMNS, Row, follow_text_index, log_index
from vigil.logs.parsers import LineParser, parse_raw
from vigil.logs.timestamps import micros
from vigil.store import Store

BATCH = 20_000
_FORMAT = itemgetter(ROW_COLUMNS.index("format"))
# The times a stored line may carry: anything outside is a parse that read a number as a time (a line
# `{"ts": 1e300}`), which the store's 64-bit column and every datetime reading it back would choke on.
TS_MIN = micros(datetime(1900, 1, 1, tzinfo=UTC))
TS_MAX = micros(datetime(2200, 1, 1, tzinfo=UTC))


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
    """Turns raw lines of one source into rows for ``LogIndex.insert_rows``.

    With ``fields_in_raw`` (the SQLite store) a row leaves out the fields its raw line holds as they are
    (``Parsed.fields_in_raw``): they are read from the raw line instead, and a JSON line is not stored a
    third time, re-serialised."""

    def __init__(self, source: Source, *, now: datetime, fields_in_raw: bool = False) -> None:
        self.source = source
        self.fields_in_raw = fields_in_raw
        self.parser = LineParser(source.formats, now=now, tz=source.tz)
        self.now_micros = micros(now)
        self.result = IngestResult()

    def rows(self, lines: Iterable[str]) -> list[Row]:
        return [row for rows in self.batches(lines, size=BATCH) for row in rows]

    def batches(self, lines: Iterable[str], *, size: int) -> Iterator[list[Row]]:
        """Rows of the lines that are not blank (blank lines are only counted), ``size`` at a time.
        One loop with everything in locals, counting per batch: this runs once per ingested line."""
        parse, source, result = self.parser.parse_row, self.source, self.result
        now, service, release, name = self.now_micros, source.service, source.release, source.name
        dumps, in_raw_ok = orjson.dumps, self.fields_in_raw
        rows: list[Row] = []
        add = rows.append
        for line in lines:
            line = line.rstrip("\r\n")
            if not line or line.isspace():
                result.blank += 1
                continue
            try:
                ts, level, message, fmt, component, host, line_service, line_release, fields, in_raw = parse(line)
                if ts is not None and not TS_MIN <= ts < TS_MAX:
                    raise ValueError("timestamp out of range")
            except Exception:  # a line no parser survives is kept raw and counted, never fatal
                ts, level, message, fmt, component, host, line_service, line_release, fields, in_raw = (
                    parse_raw(line))
            add((now if ts is None else ts, level, line_service or service, line_release or release, host,
                 component, message, line,
                 None if fields is None or (in_raw and in_raw_ok) else dumps(fields).decode(), fmt, name))
            if len(rows) >= size:
                self._count(rows)
                yield rows
                rows = []
                add = rows.append
        if rows:
            self._count(rows)
            yield rows

    def _count(self, rows: list[Row]) -> None:
        result = self.result
        result.lines += len(rows)
        for fmt, n in Counter(map(_FORMAT, rows)).items():  # counted in C
            result.formats[fmt] = result.formats.get(fmt, 0) + n
        result.unparsed = result.formats.get("raw", 0)


def insert_rows(session: Session, rows: list[Row]) -> None:
    if rows:
        log_index(session).insert_rows(session, rows)


def ingest_lines(store: Store, lines: Iterable[str], source: Source, *, now: datetime, batch: int = BATCH,
                 on_stored: Callable[[], None] | None = None) -> IngestResult:
    """Store every line; each batch commits on its own (a crash loses at most the batch in flight).

    This thread parses and stores; on SQLite an indexer thread tokenises each committed batch into the
    text index file meanwhile, on the other core (sqlite releases the GIL while it works). Storing here
    rather than on a writer thread is deliberate: the sqlite3 module takes the GIL back for every row it
    inserts, which a busy parser thread would hold for up to a switch interval each time. The call returns
    once every line is searchable; ``on_stored`` is called when the last batch is committed, before that.
    """
    builder = RowBuilder(source, now=now, fields_in_raw=store.is_sqlite)
    with follow_text_index(store) as index:
        for rows in builder.batches(lines, size=batch):
            _store(store, rows)
            index.wake()
        if on_stored is not None:
            on_stored()
    return builder.result


def _store(store: Store, rows: list[Row]) -> None:
    try:
        with store.write() as session:
            insert_rows(session, rows)
    except Exception as exc:  # SQLAlchemy's errors and the drivers' own (the bulk paths use them directly)
        raise StoreError(f"cannot store log lines in {store.safe_url}: {exc}") from exc


def read_lines(stream: IO[bytes], *, chunk: int = 1 << 20) -> Iterator[str]:
    """Lines of a byte stream as text, without their newline; bytes that are not UTF-8 are kept as
    U+FFFD, never dropped. Decoded a megabyte of whole lines at a time, not line by line."""
    rest = b""
    while data := stream.read(chunk):
        data = rest + data
        end = data.rfind(b"\n") + 1
        rest = data[end:]
        if end:
            yield from data[:end].decode("utf-8", errors="replace").split("\n")[:-1]
    if rest:
        yield rest.decode("utf-8", errors="replace")
