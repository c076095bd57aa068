"""HTTP smoke checks against a real HTTP server the test starts on loopback (no fakes in between)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from governance_fixtures import make_release
from vigil.errors import PermissionDenied, VigilError
from vigil.evidence.models import EvidenceItem
from vigil.evidence.verify import verify_archive
from vigil.flows.watch_loop import watch
from vigil.governance.requirements import TraceContext, dep_02
from vigil.releases.service import plan_of
from vigil.smoke.models import SmokeRun
from vigil.smoke.service import run_smoke
from vigil.store.verification import verify_store
from vigil.watch.models import Checkpoint
from vigil.watch.work_models import DueWork

SLOW_SECONDS = 0.4  # the /slow endpoint's own delay; its check allows 100 ms


class _Handler(BaseHTTPRequestHandler):
    flaky_failures = 2

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        server = self.server
        if self.path == "/health":
            self._send(
                200,
                json.dumps(
                    {"status": "ok", "version": "2.3.0", "deps": [{"name": "db", "ok": True}]}
                ).encode(),
            )
        elif self.path == "/broken":
            self._send(500, b"boom", "text/plain")
        elif self.path == "/slow":
            threading.Event().wait(SLOW_SECONDS)  # the server is slow; the test itself never waits
            self._send(200, b'{"status": "ok"}')
        elif self.path == "/flaky":
            server.flaky_calls += 1  # type: ignore[attr-defined]
            ok = server.flaky_calls > self.flaky_failures  # type: ignore[attr-defined]
            self._send(200 if ok else 503, b'{"status": "ok"}' if ok else b"warming up")
        elif self.path == "/secure":
            ok = self.headers.get("X-Token") == "s3cret"
            self._send(200 if ok else 401, b'{"status": "ok"}' if ok else b"no")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._send(201, body)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.flaky_calls = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def smoke_yaml(base: str, *, checks: str | None = None, at_checkpoints: bool = False) -> str:
    return f"""
smoke:
  base_url: {base}
  at_checkpoints: {"true" if at_checkpoints else "false"}
  checks:
{checks or GOOD_CHECKS}"""


GOOD_CHECKS = """\
    - {name: health, url: /health, json_path: "$.status", json_equals: ok, max_latency: 2s}
    - {name: db dependency, url: /health, json_path: "$.deps[0].ok", json_equals: true}
    - {name: version, url: /health, body_contains: '"version": "2.3.0"'}
    - {name: auth, url: /secure, headers: {X-Token: s3cret}}
    - {name: echo, method: post, url: /echo, body: '{"a": 1}', expect_status: [201],
       json_path: "$.a", json_equals: 1}
"""


def test_passing_checks_are_stored_timed_and_sealed(store, root, clock, server):
    release = make_release(store, clock.now(), extra=smoke_yaml(server))
    run = run_smoke(store, root, release.slug, clock, actor="Ravi Menon")
    assert run.passed and run.total == 5 and run.failed == 0 and run.source == "http"
    assert [r.name for r in run.results] == ["health", "db dependency", "version", "auth", "echo"]
    assert all(r.outcome == "passed" and r.duration_ms is not None and r.duration_ms > 0 for r in run.results)
    assert {r.status_code for r in run.results} == {200, 201}
    with store.read() as s:
        item = s.get(EvidenceItem, run.evidence_id)
        assert item is not None and item.kind == "smoke_result" and item.requirement_ids == ["DEP-02"]
        sealed = json.loads((root / "sha256" / item.sha256[:2] / item.sha256[2:]).read_bytes())
        assert [c["name"] for c in sealed["checks"]] == ["health", "db dependency", "version", "auth", "echo"]
        assert verify_archive(s, root) == []
        status = dep_02(TraceContext(s, s.merge(release), plan_of(release), root, clock.now()))
    assert status.status == "met" and status.evidence


def test_each_kind_of_failure_is_named(store, root, clock, server):
    checks = """\
    - {name: status, url: /broken}
    - {name: latency, url: /slow, max_latency: 100ms}
    - {name: missing text, url: /health, body_contains: "all systems go"}
    - {name: wrong value, url: /health, json_path: "$.version", json_equals: "9.9.9"}
    - {name: no such path, url: /health, json_path: "$.nothing"}
    - {name: no token, url: /secure}
    - {name: refused, url: "http://127.0.0.1:9/health", timeout: 2s}
"""
    release = make_release(store, clock.now(), extra=smoke_yaml(server, checks=checks))
    run = run_smoke(store, root, release.slug, clock, actor="Ravi Menon")
    by_name = {r.name: r for r in run.results}
    assert run.failed == 7 and not run.passed
    assert by_name["status"].message == "status 500, expected 200"
    assert "took" in by_name["latency"].message and "limit 100 ms" in by_name["latency"].message
    assert by_name["latency"].duration_ms >= SLOW_SECONDS * 1000
    assert by_name["missing text"].message == "body does not contain 'all systems go'"
    assert by_name["wrong value"].message == "$.version is '2.3.0', expected '9.9.9'"
    assert by_name["no such path"].message == "$.nothing not found in the body"
    assert by_name["no token"].status_code == 401
    assert by_name["refused"].outcome == "error" and "ConnectError" in by_name["refused"].message
    with store.read() as s:
        status = dep_02(TraceContext(s, s.merge(release), plan_of(release), root, clock.now()))
    assert status.status == "partial" and "failed 7 of 7 checks" in status.missing[0]


def test_retries_until_the_service_answers_waiting_on_the_clock(store, root, clock, server):
    checks = "    - {name: warm-up, url: /flaky, retries: 3, retry_delay: 30s}\n"
    release = make_release(store, clock.now(), extra=smoke_yaml(server, checks=checks))
    start = clock.now()
    run = run_smoke(store, root, release.slug, clock, actor="Ravi Menon")
    assert run.passed and run.results[0].attempts == 3
    assert clock.now() - start == timedelta(seconds=60)  # two waits of 30 s, on the manual clock
    exhausted = "    - {name: warm-up, url: /broken, retries: 2}\n"
    other = make_release(store, clock.now(), extra=smoke_yaml(server, checks=exhausted), slug="checkout-b")
    run = run_smoke(store, root, other.slug, clock, actor="Ravi Menon")
    assert run.results[0].attempts == 3 and run.results[0].outcome == "failed"


def test_the_watch_itself_runs_the_checks_once_at_each_checkpoint_when_the_plan_asks(store, root, clock, server):
    """No CLI callback: ``watch()`` itself does the smoke runs its checkpoints made due, once each."""
    quiet = make_release(store, clock.now(), extra=smoke_yaml(server), slug="quiet")
    loud = make_release(store, clock.now(), extra=smoke_yaml(server, at_checkpoints=True), slug="loud")
    watch(store, clock, [quiet.slug, loud.slug])
    with store.read() as s:
        runs = list(s.scalars(select(SmokeRun)))
        evaluated = set(s.scalars(select(Checkpoint.name).where(Checkpoint.release_id == loud.id,
                                                                Checkpoint.state == "evaluated")))
        work = list(s.scalars(select(DueWork).where(DueWork.kind == "smoke")))
    with store.write() as s:
        assert verify_store(s) == []
    assert {r.release_id for r in runs} == {loud.id} and {r.actor for r in runs} == {"vigil"}
    assert sorted(r.trigger for r in runs) == sorted(evaluated) and evaluated  # one run per checkpoint
    assert {(w.state, w.claims) for w in work} == {("done", 1)} and len(work) == len(evaluated)


def test_roles_and_a_plan_without_checks(store, root, clock, server):
    release = make_release(store, clock.now(), extra=smoke_yaml(server))
    with pytest.raises(PermissionDenied):
        run_smoke(store, root, release.slug, clock, actor="Mei Tan")
    bare = make_release(store, clock.now(), slug="bare")
    with pytest.raises(VigilError, match="no smoke checks"):
        run_smoke(store, root, bare.slug, clock, actor="Ravi Menon")


def test_cli_runs_the_checks_and_exits_non_zero_on_failure(store, clock, server, vigil_cli):
    make_release(store, clock.now(), extra=smoke_yaml(server))
    code, out = vigil_cli("smoke", "checkout-2.3.0", "--as", "Ravi Menon", "--db", store.url)
    assert code == 0 and "5 passed, 0 failed" in out and "health" in out
    make_release(
        store, clock.now(), slug="bad", extra=smoke_yaml(server, checks="    - {name: s, url: /broken}\n")
    )
    code, out = vigil_cli("smoke", "bad", "--as", "Ravi Menon", "--db", store.url)
    assert code == 1 and "1 smoke check(s) failed" in out


def test_a_bad_check_in_the_plan_names_its_line():
    from governance_fixtures import EXAMPLE
    from vigil.errors import PlanError
    from vigil.plan import parse_plan

    text = EXAMPLE.read_text() + smoke_yaml("http://x", checks="    - {name: a, url: /, json_path: '$[[['}\n")
    with pytest.raises(PlanError, match=r"smoke.checks.0.json_path: '\$\[\[\[' is not a JSONPath"):
        parse_plan(text, "plan.yaml")


def test_watch_runs_the_checks_at_every_evaluated_checkpoint_when_asked(store, clock, server, vigil_cli):
    make_release(store, clock.now(), extra=smoke_yaml(server, at_checkpoints=True))
    code, out = vigil_cli("watch", "checkout-2.3.0", "--simulate", "--db", store.url)
    assert code == 0, out
    with store.read() as s:
        from vigil.watch.models import Checkpoint

        evaluated = list(s.scalars(select(Checkpoint.name).where(Checkpoint.state == "evaluated")
                                   .order_by(Checkpoint.offset_seconds)))
        triggers = list(s.scalars(select(SmokeRun.trigger).order_by(SmokeRun.id)))
    assert triggers == evaluated and "T+2h" in triggers  # the leak's rollback stops the rest
    # A restarted watch finds nothing new to evaluate, so it runs no smoke checks again.
    code, out = vigil_cli("watch", "checkout-2.3.0", "--simulate", "--db", store.url)
    assert code == 0, out
    with store.read() as s:
        assert len(list(s.scalars(select(SmokeRun.id)))) == len(triggers)
