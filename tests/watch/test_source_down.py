"""A Prometheus that is down: retried, then the checkpoint is unknown, the rollout holds, it is audited."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from plan_text import plan_header
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.store.audit import AuditEntry
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import Checkpoint

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_prometheus_is_unknown_and_holds_never_healthy(tmp_path: Path) -> None:
    text = plan_header(T0) + f"""source:
  kind: prometheus
  url: http://127.0.0.1:{_closed_port()}
  options: {{retries: 2, backoff: 0s, timeout: 2s}}
metrics:
  - name: error_rate
    query: 'sum(rate(errors_total{{version="$cohort"}}[1m]))'
checkpoints: [T+0, T+15m]
"""
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    release = create_release(store, parse_plan(text), text, "plan.yaml", now=T0)
    outcome = evaluate_checkpoint(store, release.slug, "T+15m", T0 + timedelta(minutes=15))
    assert (outcome.health, outcome.go_no_go) == ("unknown", "hold")
    with store.read() as s:
        checkpoint = s.scalars(select(Checkpoint)).one()
        reading = checkpoint.readings[0]
        outage = s.scalars(select(AuditEntry).where(AuditEntry.action == "source.unavailable")).one()
    assert reading.status == "no_data" and reading.current is None
    assert "cannot reach" in reading.reason and "(3 attempts)" in reading.reason
    assert outage.payload["checkpoint"] == "T+15m" and "cannot reach" in outage.payload["errors"]["error_rate"]
