"""A watcher killed with SIGKILL at random moments and restarted, over an accelerated 24-hour release.

The clock is anchored to a wall-clock moment, so simulated time keeps running while no watcher is up
(checkpoints fall due during the outage, as they would for real). At the end the store must hold every
planned checkpoint exactly once, with the same verdicts as an uninterrupted run, the rollback decided
once and started at most once, one smoke run per evaluated checkpoint (run by the watch itself against a
real local HTTP server), every notification delivered to a real local webhook sink and recorded once, and
a store that verifies clean.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import select

import vigil
from vigil.alerts.models import Notification
from vigil.clock import ManualClock, SystemClock
from vigil.flows.watch_loop import watch
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.smoke.models import SmokeRun
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain
from vigil.store.verification import verify_store
from vigil.watch.models import Checkpoint, RollbackEvent

SPEED = 4800.0  # 24 simulated hours in 18 wall-clock seconds
SEED = 20261124


def _plan_text() -> str:
    # The demo's leaky canary: memory grows 5.5 points an hour, rolled back at T+2h.
    return (resources.files("vigil") / "examples" / "checkout-leak.yaml").read_text(encoding="utf-8")


class _Sink(BaseHTTPRequestHandler):
    """The service's health endpoint for the smoke checks, and a webhook receiver for the notifications."""

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, body: bytes = b'{"status": "ok"}') -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(self.headers.get("Idempotency-Key", ""))  # type: ignore[attr-defined]
        self._answer(b"{}")


@pytest.fixture
def sink() -> Iterator[tuple[str, list[str]]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    httpd.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.received  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()


def _with_side_effects(text: str, base: str) -> str:
    """The plan with smoke checks at every checkpoint and its alerts and communications sent to a webhook."""
    text = text.replace("  - {name: Leadership, channel: leadership@example.com, audience: leadership}\n",
                        "  - {name: Leadership, channel: leadership@example.com, audience: leadership}\n"
                        "  - {name: Ops, channel: hook, audience: engineering}\n")
    return text + f"""
notifications:
  retries: 3
  backoff: 1s
  channels:
    - {{name: hook, kind: webhook, url: "{base}/hook"}}
  routes:
    - {{events: ["alert.*", "incident.*"], channels: [hook]}}
smoke:
  base_url: {base}
  at_checkpoints: true
  checks:
    - {{name: health, url: /health, json_path: "$.status", json_equals: ok}}
"""


def _watcher(db_url: str, slug: str, anchor: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(vigil.__file__).parents[1]), "COLUMNS": "200"}
    with log.open("ab") as out:
        command = [sys.executable, "-m", "vigil", "watch", slug, "--speed", str(SPEED), "--anchor", anchor,
                   "--db", db_url]
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


def _stored(store: Store) -> int:
    with store.read() as s:
        return len(list(s.scalars(select(Checkpoint.id))))


def _wait_for_progress(process: subprocess.Popen[bytes], store: Store, before: int, limit: float) -> None:
    """Until the watcher has stored another checkpoint (or exited, or ``limit`` seconds passed)."""
    deadline = SystemClock().now() + timedelta(seconds=limit)
    while _stored(store) == before and SystemClock().now() < deadline:
        try:
            process.wait(timeout=0.05)
            return
        except subprocess.TimeoutExpired:
            pass


def _kill_and_restart_until_done(db_url: str, slug: str, log: Path) -> list[int]:
    """SIGKILL watchers at random moments until the simulated day is over; the next one finishes.

    Odd runs die 0.3–3 s after starting, often while still starting up (imports, migrations); even runs
    die up to 1.5 s after they have stored a checkpoint, so they die mid-release whatever the machine's
    speed. Returns, for each kill, how many checkpoints were stored at that moment.
    """
    rng = random.Random(SEED)
    wall = SystemClock()
    anchor = wall.now()
    day_over = anchor + timedelta(hours=24, minutes=30) / SPEED
    store = Store(db_url)
    stored_at_kills: list[int] = []
    run = 0
    while wall.now() < day_over:
        run += 1
        process = _watcher(db_url, slug, anchor.isoformat(), log)
        if run % 2 == 0:
            _wait_for_progress(process, store, _stored(store), limit=60)
        try:
            code = process.wait(timeout=rng.uniform(0.3, 3.0) if run % 2 else rng.uniform(0.0, 1.5))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            stored_at_kills.append(_stored(store))
            continue
        assert code == 0, log.read_text(errors="replace")[-3000:]
    store.dispose()
    final = _watcher(db_url, slug, anchor.isoformat(), log)
    assert final.wait(timeout=120) == 0, log.read_text(errors="replace")[-3000:]
    return stored_at_kills


def _reference_verdicts(tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    """The same release watched in one go on a manual clock."""
    store = Store(f"sqlite:///{tmp_path / 'reference.db'}")
    text = _plan_text()
    plan = parse_plan(text)
    clock = ManualClock(plan.release.date)
    release = create_release(store, plan, text, "checkout-leak.yaml", now=clock.now())
    watch(store, clock, [release.slug])
    return _verdicts(store)


def _verdicts(store: Store) -> dict[str, tuple[str, str | None]]:
    with store.read() as s:
        return {c.name: (c.state, c.decision.go_no_go if c.decision else None)
                for c in s.scalars(select(Checkpoint))}


def _check_store(store: Store, reference: dict[str, tuple[str, str | None]]) -> None:
    plan = parse_plan(_plan_text())
    with store.read() as s:
        checkpoints = list(s.scalars(select(Checkpoint)))
        audit = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        events = list(s.scalars(select(RollbackEvent)))
        release = s.scalars(select(Release)).one()
        assert verify_chain(s) == []

    assert sorted(c.name for c in checkpoints) == sorted(plan.checkpoint_names())
    stored = ("checkpoint.evaluated", "checkpoint.skipped")
    stored_once = [a.payload["name"] for a in audit if a.action in stored]
    assert sorted(stored_once) == sorted(plan.checkpoint_names())  # each stored exactly once, no retries kept
    assert _verdicts(store) == reference  # late evaluations read the same window as on-time ones

    for c in checkpoints:
        assert c.due_at == release.started_at + timedelta(seconds=c.offset_seconds)
        assert c.evaluated_at >= c.due_at, c.name
    # Something fell due while no watcher was running and was evaluated on restart, its due time kept.
    assert max(c.evaluated_at - c.due_at for c in checkpoints) > timedelta(minutes=10)

    actions = [a.action for a in audit]
    assert len(events) == 1 and actions.count("rollback.decided") == 1
    assert actions.count("rollback.started") <= 1  # the action ran at most once
    event = events[0]
    if event.state == "completed":
        assert actions.count("rollback.started") == 1 and actions.count("rollback.completed") == 1
        assert actions.count("rollback.verified") == 1 and event.verified is True
        assert release.status == "rolled_back"
    else:  # killed while the action ran: flagged for a person, never re-run
        assert event.state == "interrupted" and actions.count("rollback.interrupted") == 1


def _check_side_effects(store: Store, received: list[str]) -> None:
    """Smoke runs and notifications: none lost, none recorded twice, every notification delivered."""
    from vigil.alerts.notify.outbox import idempotency_key

    with store.read() as s:
        evaluated = sorted(s.scalars(select(Checkpoint.name).where(Checkpoint.state == "evaluated")))
        triggers = sorted(s.scalars(select(SmokeRun.trigger)))
        notes = list(s.scalars(select(Notification)))
        sealed = [a for a in s.scalars(select(AuditEntry).where(AuditEntry.action == "notification.sent"))]
    assert triggers == evaluated  # one smoke run per evaluated checkpoint: none lost, none twice
    assert notes and {n.status for n in notes} == {"sent"}, {(n.id, n.status) for n in notes}
    keys = {idempotency_key(n.id, n.created_at) for n in notes}
    assert set(received) == keys  # every notification reached the receiver (a repeat carries its key)
    assert sorted(int(a.entity_id) for a in sealed) == sorted(n.id for n in notes)  # recorded sent once
    for n in notes:
        assert [a["attempt"] for a in n.attempts] == list(range(1, len(n.attempts) + 1))
    print(f"notifications: {len(notes)}, deliveries: {len(received)} "
          f"({len(received) - len(keys)} repeats dropped by key); smoke runs: {len(triggers)}")
    with store.write() as s:
        assert verify_store(s) == []


def _durable_run(db_url: str, tmp_path: Path, sink: tuple[str, list[str]]) -> None:
    store = Store(db_url)
    text = _with_side_effects(_plan_text(), sink[0])
    release = create_release(store, parse_plan(text), text, "checkout-leak.yaml",
                             now=parse_plan(text).release.date)
    stored_at_kills = _kill_and_restart_until_done(db_url, release.slug, tmp_path / "watch.log")
    assert len(stored_at_kills) >= 3, "the test must actually interrupt the watcher"
    total = len(parse_plan(text).checkpoints)
    assert any(0 < n < total for n in stored_at_kills), f"no kill landed mid-release: {stored_at_kills}"
    print(f"checkpoints stored at each kill: {stored_at_kills}")
    _check_store(store, _reference_verdicts(tmp_path))
    _check_side_effects(store, sink[1])
    store.dispose()


def test_sigkilled_watcher_on_sqlite_stores_every_checkpoint_once(sqlite_url: str, tmp_path: Path,
                                                                  sink: tuple[str, list[str]],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_EVIDENCE_DIR", str(tmp_path / "evidence"))
    _durable_run(sqlite_url, tmp_path, sink)


@pytest.mark.postgres
def test_sigkilled_watcher_on_postgres_stores_every_checkpoint_once(pg_url: str, tmp_path: Path,
                                                                    sink: tuple[str, list[str]],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_EVIDENCE_DIR", str(tmp_path / "evidence"))
    _durable_run(pg_url, tmp_path, sink)
