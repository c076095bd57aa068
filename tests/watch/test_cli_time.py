"""Time at the CLI, as a user meets it (real processes, real exit codes): `vigil checkpoint` refuses a
checkpoint before it is due, and `vigil watch --speed/--simulate` refuses releases read from a live source."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from plan_text import plan_header
from vigil.store import Store
from vigil.watch.models import Checkpoint


def vigil(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def _create(tmp_path: Path, source: str, slug: str) -> None:
    # T+0 an hour ago on the wall clock, so T+24h is 23 hours away for the real-time CLI.
    start = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    plan = tmp_path / f"{slug}.yaml"
    plan.write_text(plan_header(start) + source + "metrics: [{name: error_rate, query: 'up'}]\n"
                    "checkpoints: [T+0, T+24h]\n", encoding="utf-8")
    done = vigil("release", "create", "--plan", str(plan), "--slug", slug, "--db", "v.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_checkpoint_before_it_is_due_is_refused_and_stores_nothing(tmp_path: Path) -> None:
    _create(tmp_path, "", "early")
    done = vigil("checkpoint", "early", "T+24h", "--db", "v.db", cwd=tmp_path)
    assert done.returncode != 0
    assert "checkpoint T+24h is not due until" in done.stderr and "Traceback" not in done.stderr
    with Store(f"sqlite:///{tmp_path / 'v.db'}").read() as session:
        assert session.scalar(select(func.count()).select_from(Checkpoint)) == 0
    due = vigil("checkpoint", "early", "T+0", "--db", "v.db", cwd=tmp_path)  # T+0 is due: evaluated
    assert due.returncode == 0 and "T+0 evaluated" in due.stdout


def test_a_fast_clock_on_a_live_source_is_a_usage_error(tmp_path: Path) -> None:
    _create(tmp_path, "source: {kind: prometheus, url: 'http://127.0.0.1:9'}\n", "live")
    for option in (["--speed", "60"], ["--simulate"]):
        done = vigil("watch", "live", *option, "--db", "v.db", cwd=tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"{option[0]} runs the clock ahead of real time" in done.stderr
        assert "live (source 'default', prometheus)" in done.stderr
    with Store(f"sqlite:///{tmp_path / 'v.db'}").read() as session:
        assert session.scalar(select(func.count()).select_from(Checkpoint)) == 0
