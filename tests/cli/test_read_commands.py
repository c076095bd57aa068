"""The read commands a person types most: they load only what they use (no scipy, web stack or Alembic)
and they work on a store file nobody can write."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SLUG = "checkout-2.3.0-demo"
READS = [("status", SLUG), ("release", "list"), ("trace", SLUG), ("incident", "list")]
HEAVY = ("scipy", "fastapi", "alembic", "starlette", "uvicorn", "jinja2")
# What each command's output must show, so a command that "succeeds" by printing nothing fails.
SHOWS = {"status": "T+2h", "release": SLUG, "trace": "REQ-", "incident": "INC-", "verify": "audit chain intact"}


@pytest.fixture(scope="module")
def demo_store() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="vigil-reads-"))
    subprocess.run([sys.executable, "-m", "vigil", "demo", "--out", "out"], cwd=folder, check=True,
                   capture_output=True, timeout=300)
    yield folder / "vigil.db"
    shutil.rmtree(folder, ignore_errors=True)


PROBE = f"""
import sys
HEAVY = {HEAVY!r}
from vigil.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(set(m.split('.')[0] for m in sys.modules) & set(HEAVY))
print('PROBE', code, heavy, file=sys.stderr)
"""


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_a_read_command_loads_no_heavy_module(demo_store: Path, command: tuple[str, ...]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *command, "--db", str(demo_store)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200"}, check=False)
    assert "PROBE 0 []" in done.stderr, done.stderr[-2000:]
    assert SHOWS[command[0]] in done.stdout


def test_the_read_commands_work_on_a_store_nobody_can_write(demo_store: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="vigil-readonly-"))
    try:
        for part in demo_store.parent.glob("vigil.db*"):
            shutil.copy(part, folder / part.name)
        shutil.copytree(demo_store.parent / "vigil-evidence", folder / "vigil-evidence")
        as_reader: list[str] = []
        if os.geteuid() == 0:  # root writes any file: read as nobody, who may create -shm/-wal beside it
            as_reader = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            shutil.chown(folder, "nobody")
        folder.chmod(0o755)
        for part in folder.glob("vigil.db*"):
            part.chmod(0o444)
        # vigil makes its evidence private (0700/0400); this store is shared with the reader on purpose
        for path in (folder / "vigil-evidence").rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o444)
        (folder / "vigil-evidence").chmod(0o755)
        before = {p.name: p.read_bytes() for p in folder.glob("vigil.db*")}
        for command in [*READS, ("verify",)]:
            done = subprocess.run([*as_reader, sys.executable, "-m", "vigil", *command, "--db",
                                   str(folder / "vigil.db")], capture_output=True, text=True, timeout=120,
                                  env={**os.environ, "COLUMNS": "200"}, cwd=folder, check=False)
            assert done.returncode == 0, done.stderr
            assert SHOWS[command[0]] in done.stdout
        assert {p.name: p.read_bytes() for p in folder.glob("vigil.db*") if p.name in before} == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)
