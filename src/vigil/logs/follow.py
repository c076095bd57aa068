"""Follow mode: keep reading a growing file, through rotation and restarts, losing and repeating nothing.

The byte offset reached in a file is stored in ``log_cursors`` in the same transaction as the lines it
covers, so after a crash (even SIGKILL) the follower resumes exactly after the last committed line.
A file is recognised by device, inode and the hash of its first line. When the path starts naming a new
file (rotation by rename), the old file is read to its end first, then every file rotated after it, oldest
first (``app.log.3``, ``.2``, ``.1``: rotated several times while vigil was down or between two polls),
and only then the live file. The old file is found among the path's siblings by the same identity.
A file that shrank below the offset was truncated in place (copytruncate) and is read again from 0.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from vigil.clock import Clock, SystemClock
from vigil.logs.index import catch_up_text_index
from vigil.logs.ingest import IngestResult, RowBuilder, Source, insert_rows
from vigil.logs.models import LogCursor
from vigil.store import Store

CHUNK = 1 << 20  # bytes read (and committed) at a time
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4")  # rotated and compressed: not text to follow


@dataclass
class _Open:
    handle: BinaryIO
    device: int
    inode: int
    head: str
    offset: int
    lines: int


def head_hash(handle: BinaryIO) -> str:
    """Hash of the first line (up to 4 KiB); '' while the file has no complete first line yet."""
    position = handle.tell()
    handle.seek(0)
    first = handle.readline(4096)
    handle.seek(position)
    return hashlib.sha256(first).hexdigest() if first.endswith(b"\n") or len(first) == 4096 else ""


class Follower:
    def __init__(self, store: Store, path: Path, source: Source, *, clock: Clock,
                 on_commit: Callable[[int, IngestResult], None] | None = None) -> None:
        self.store, self.path, self.source, self.clock = store, path, source, clock
        self.key = str(path.resolve())
        self.on_commit = on_commit
        self.result = IngestResult()
        self.current: _Open | None = None
        self._resume()

    # ------------------------------------------------------------ opening and resuming
    def _open(self, path: Path, offset: int = 0, lines: int = 0) -> _Open | None:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return None
        st = os.fstat(handle.fileno())
        return _Open(handle, st.st_dev, st.st_ino, head_hash(handle), offset, lines)

    def _resume(self) -> None:
        with self.store.read() as session:
            cursor = session.get(LogCursor, self.key)
        self.current = self._open(self.path)
        if cursor is None or self.current is None:
            return
        if self._same(self.current, cursor):
            size = os.fstat(self.current.handle.fileno()).st_size
            if size >= cursor.offset:  # else it was truncated in place: read it again from the start
                self.current.offset, self.current.lines = cursor.offset, cursor.lines
            return
        # The path names a new file: finish the one we were reading, wherever rotation moved it.
        old = self._find_rotated(cursor)
        if old is not None:
            old.offset, old.lines = cursor.offset, cursor.lines
            newest = self.current
            self.current = old
            self._drain_and_switch(newest)

    @staticmethod
    def _same(opened: _Open, cursor: LogCursor) -> bool:
        return (opened.device, opened.inode) == (cursor.device, cursor.inode) and (
            not cursor.head_sha256 or opened.head == cursor.head_sha256)

    def _find_rotated(self, cursor: LogCursor) -> _Open | None:
        for sibling in self._rotated_chain():
            candidate = self._open(sibling)
            if candidate is not None and self._same(candidate, cursor):
                return candidate
            if candidate is not None:
                candidate.handle.close()
        return None

    def _rotated_chain(self) -> list[Path]:
        """The path's rotated siblings (``app.log.1``, ``app.log-20261124``), oldest first: by the time
        each was last written, and among equal times (rotations within one clock tick) a higher number
        is older, as logrotate numbers them."""
        def age(path: Path) -> tuple[int, int, str]:
            suffix = path.name[len(self.path.name) + 1:]
            number = int(suffix) if suffix.isascii() and suffix.isdigit() else 0
            return path.stat().st_mtime_ns, -number, path.name

        siblings = {p for pattern in (".*", "-*") for p in self.path.parent.glob(self.path.name + pattern)
                    if p.is_file() and not p.name.endswith(COMPRESSED)}
        with contextlib.suppress(FileNotFoundError):  # one rotated away meanwhile: list again next time
            return sorted(siblings, key=age)
        return []

    def _rotated_after(self, done: _Open, newest: _Open) -> list[Path]:
        """The rotated files written after ``done`` and before ``newest`` (the live file), oldest first."""
        chain = []
        for path in self._rotated_chain():
            with contextlib.suppress(FileNotFoundError):  # removed since it was listed: nothing to read
                chain.append((path, os.stat(path)))
        ids = [(st.st_dev, st.st_ino) for _, st in chain]
        if (done.device, done.inode) not in ids:
            return []  # gone (deleted, or compressed): nothing tells which of the others are newer
        after = chain[ids.index((done.device, done.inode)) + 1:]
        return [p for p, st in after if (st.st_dev, st.st_ino) != (newest.device, newest.inode)]

    # ------------------------------------------------------------ reading
    def poll(self) -> int:
        """Read everything complete that is there now (and follow a rotation); lines committed."""
        if self.current is None:
            self.current = self._open(self.path)
            if self.current is None:
                return 0
        done = self._read_available(final=False)
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return done  # rotated away, new file not created yet: keep the old one until it appears
        cur = self.current
        if (st.st_dev, st.st_ino) != (cur.device, cur.inode):
            newest = self._open(self.path)
            if newest is not None:
                done += self._drain_and_switch(newest)
        elif st.st_size < cur.offset:  # copytruncate
            cur.offset, cur.lines = 0, 0
            cur.handle.seek(0)
            cur.head = head_hash(cur.handle)
            done += self._read_available(final=False)
        return done

    def _drain_and_switch(self, newest: _Open) -> int:
        assert self.current is not None
        done = self._read_available(final=True)  # the rotated file is finished: its last line counts
        finished = self.current
        for rotated in self._rotated_after(finished, newest):  # rotated more than once: none is skipped
            between = self._open(rotated)
            if between is None:
                continue
            self.current = between
            done += self._read_available(final=True)
            between.handle.close()
        finished.handle.close()
        self.current = newest
        self._commit([], newest)  # record the switch even if the new file is still empty
        return done + self._read_available(final=False)

    def _read_available(self, *, final: bool) -> int:
        cur = self.current
        assert cur is not None
        total = 0
        while True:
            cur.handle.seek(cur.offset)
            data = cur.handle.read(CHUNK)
            if not data:
                return total
            end = data.rfind(b"\n") + 1
            if end == 0:
                if not final and len(data) < CHUNK:
                    return total  # a line still being written: wait for its newline
                end = len(data)
            if not cur.head:
                cur.head = head_hash(cur.handle)
            lines = data[:end].decode("utf-8", errors="replace").splitlines()
            cur.offset += end
            cur.lines += len(lines)
            self._commit(lines, cur)
            total += len(lines)

    def _commit(self, lines: list[str], cur: _Open) -> None:
        now = self.clock.now()
        builder = RowBuilder(self.source, now=now, fields_in_raw=self.store.is_sqlite)
        rows = builder.rows(lines)
        with self.store.write() as session:
            insert_rows(session, rows)
            cursor = session.get(LogCursor, self.key)
            if cursor is None:
                cursor = LogCursor(path=self.key)
                session.add(cursor)
            cursor.device, cursor.inode, cursor.head_sha256 = cur.device, cur.inode, cur.head
            cursor.offset, cursor.lines, cursor.updated_at = cur.offset, cur.lines, now
        if rows:  # searchable now; killed before this, the index catches up when the store is next opened
            catch_up_text_index(self.store)
        self.result.add(builder.result)
        if self.on_commit is not None and lines:
            self.on_commit(len(rows), builder.result)

    def run(self, *, interval: timedelta = timedelta(milliseconds=250),
            stop: Callable[[], bool] = lambda: False) -> IngestResult:
        while not stop():
            if self.poll() == 0:
                self.clock.sleep_until(self.clock.now() + interval)
        return self.result

    def close(self) -> None:
        if self.current is not None:
            self.current.handle.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m vigil.logs.follow``: the follower as a bare process (what the CLI's --follow runs)."""
    parser = argparse.ArgumentParser(description="Follow a log file into the vigil store.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--db", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--release")
    parser.add_argument("--once", action="store_true", help="read what is there (and rotated) and exit")
    args = parser.parse_args(argv)
    from vigil.settings import database_url
    store = Store(database_url(args.db))

    def report(count: int, _result: IngestResult) -> None:
        print(f"committed {count}", flush=True)  # progress, for supervisors and tests

    follower = Follower(store, args.path, Source(str(args.path), args.service, args.release),
                        clock=SystemClock(), on_commit=report)
    if args.once:
        follower.poll()
        print(f"done {follower.result.lines}", flush=True)
        return 0
    with contextlib.suppress(KeyboardInterrupt):
        follower.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
