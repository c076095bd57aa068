"""Follow mode: rotation, truncation, restarts and SIGKILL lose and repeat nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from vigil.clock import ManualClock
from vigil.logs.follow import Follower
from vigil.logs.ingest import Source
from vigil.logs.models import LogRecord
from vigil.store import Store

from .support import NOW, REPO


def _write(path: Path, start: int, stop: int, *, mode: str = "a") -> None:
    with path.open(mode, encoding="utf-8") as fh:
        fh.writelines(f'{{"ts":"2026-11-24T10:00:00Z","level":"info","msg":"line {i}"}}\n'
                      for i in range(start, stop))


def _stored(store: Store) -> Counter[int]:
    with store.read() as session:
        messages = session.scalars(select(LogRecord.message))
        return Counter(int(m.split()[1]) for m in messages)


def _follower(store: Store, path: Path) -> Follower:
    return Follower(store, path, Source(str(path), "app"), clock=ManualClock(NOW))


def test_follows_rename_rotation_and_resumes_after_restart(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    _write(path, 0, 100)
    follower = _follower(sqlite_store, path)
    assert follower.poll() == 100
    _write(path, 100, 150)
    path.rename(tmp_path / "app.log.1")  # rotation: the writer still appends to the old file once more
    _write(tmp_path / "app.log.1", 150, 160)
    _write(path, 160, 200, mode="w")
    assert follower.poll() == 100
    follower.close()
    _write(path, 200, 230)
    restarted = _follower(sqlite_store, path)  # a new process: only the stored cursor is known
    assert restarted.poll() == 30
    assert _stored(sqlite_store) == Counter(range(230))


def test_rotation_while_stopped_finishes_the_old_file_first(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    _write(path, 0, 50)
    first = _follower(sqlite_store, path)
    first.poll()
    first.close()
    _write(path, 50, 70)  # written after the follower stopped...
    path.rename(tmp_path / "app.log.1")  # ...then rotated away while it was down
    _write(path, 70, 90, mode="w")
    second = _follower(sqlite_store, path)
    second.poll()
    assert _stored(sqlite_store) == Counter(range(90))


def test_truncation_in_place_starts_again_at_zero(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    _write(path, 0, 40)
    follower = _follower(sqlite_store, path)
    follower.poll()
    _write(path, 40, 45, mode="w")  # copytruncate: same inode, shorter content
    follower.poll()
    assert _stored(sqlite_store) == Counter(range(45))


def test_a_partial_last_line_waits_for_its_newline(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    _write(path, 0, 3)
    with path.open("a") as fh:
        fh.write('{"ts":"2026-11-24T10:00:00Z","msg":"line 3"')
    follower = _follower(sqlite_store, path)
    assert follower.poll() == 3
    with path.open("a") as fh:
        fh.write("}\n")
    assert follower.poll() == 1
    assert _stored(sqlite_store) == Counter(range(4))


def _spawn(db: str, path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.Popen([sys.executable, "-m", "vigil.logs.follow", "--db", db, "--service", "app",
                             str(path), *extra], stdout=subprocess.PIPE, text=True, env=env)


def test_sigkill_and_restart_neither_lose_nor_repeat_a_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'vigil.db'}"
    Store(db).dispose()  # migrate up front so the child starts reading at once
    path = tmp_path / "app.log"
    _write(path, 0, 60_000)  # about 60 commits of 1 MiB: the kill lands mid-stream
    child = _spawn(db, path)
    assert child.stdout is not None
    assert child.stdout.readline().startswith("committed")  # at least one batch is in
    child.send_signal(signal.SIGKILL)
    child.wait()
    partial = _stored(Store(db))
    assert 0 < sum(partial.values()) < 60_000 and max(partial.values()) == 1
    _write(path, 60_000, 61_000)
    path.rename(tmp_path / "app.log.1")
    _write(path, 61_000, 62_000, mode="w")
    again = _spawn(db, path, "--once")
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0 and out.strip().splitlines()[-1].startswith("done")
    assert _stored(Store(db)) == Counter(range(62_000))
