"""Two watcher processes on one PostgreSQL store: neither duplicates the other's work.

Both watch the same accelerated release at once. Release claims (advisory locks) mean a checkpoint is
evaluated by one of them only — neither ever finds a checkpoint "already stored" after reading its
metrics — and the rollback runs once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import select

import vigil
from vigil.clock import SystemClock
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain
from vigil.watch.models import Checkpoint, RollbackEvent

SPEED = 7200.0


@pytest.mark.postgres
def test_two_workers_share_a_release_without_duplicated_effort(pg_url: str, tmp_path: Path) -> None:
    text = (resources.files("vigil") / "examples" / "checkout-leak.yaml").read_text(encoding="utf-8")
    plan = parse_plan(text)
    store = Store(pg_url)
    release = create_release(store, plan, text, "checkout-leak.yaml", now=plan.release.date)
    anchor = SystemClock().now().isoformat()
    env = {**os.environ, "PYTHONPATH": str(Path(vigil.__file__).parents[1]), "COLUMNS": "200"}
    logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
    workers = []
    for log in logs:
        with log.open("wb") as out:
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "vigil", "watch", release.slug, "--speed", str(SPEED), "--anchor", anchor,
                 "--db", pg_url], stdout=out, stderr=subprocess.STDOUT, env=env))
    for worker, log in zip(workers, logs, strict=True):
        assert worker.wait(timeout=180) == 0, log.read_text(errors="replace")[-2000:]

    lines = [line for log in logs for line in log.read_text().splitlines() if line.startswith(release.slug)]
    assert not [line for line in lines if "already stored" in line]  # no wasted evaluations
    reported = sorted(line.split()[1].rstrip(":") for line in lines)
    assert reported == sorted(plan.checkpoint_names())  # each checkpoint reported by exactly one worker

    with store.read() as s:
        assert len(list(s.scalars(select(Checkpoint)))) == len(plan.checkpoints)
        actions = list(s.scalars(select(AuditEntry.action)))
        event = s.scalars(select(RollbackEvent)).one()
        assert verify_chain(s) == []
    assert actions.count("rollback.started") == 1 and event.state == "completed"
    store.dispose()
