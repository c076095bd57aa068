"""Ingest over HTTP (a real uvicorn server) and the `vigil logs` commands."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from vigil.cli.logs import app
from vigil.clock import ManualClock
from vigil.logs.http import make_app
from vigil.logs.search import LogFilter, count, search
from vigil.store import Store

from .support import NOW

runner = CliRunner()


@pytest.fixture
def server(sqlite_store: Store) -> Iterator[str]:
    # The socket listens before the server starts: early requests wait in the backlog, no polling needed.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(make_app(sqlite_store, ManualClock(NOW)), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_http_ingest_of_json_lines(server: str, sqlite_store: Store) -> None:
    body = "\n".join([
        '{"ts":"2026-11-24T11:00:00Z","level":"error","msg":"boom","order":1}',
        "not json at all",
        "",
        '{"ts":"2026-11-24T11:00:01Z","level":"info","msg":"fine","service":"cart"}',
    ])
    reply = httpx.post(f"{server}/logs/ingest", params={"service": "checkout", "release": "2.3.0"},
                       content=body, headers={"content-type": "application/x-ndjson"})
    assert reply.status_code == 200 and reply.json() == {"lines": 3, "unparsed": 1, "blank": 1}
    with sqlite_store.read() as session:
        lines = search(session, LogFilter()).lines
        assert count(session, LogFilter(fields=(("order", "1"),))) == 1
    # the raw line has no time of its own: it takes the ingest time (12:00), the newest
    assert [(x.service, x.release, x.format) for x in lines] == [
        ("checkout", "2.3.0", "raw"), ("cart", "2.3.0", "json"), ("checkout", "2.3.0", "json")]


def test_cli_ingest_search_stats_and_attach(tmp_path: Path, loghub: Path) -> None:
    db = f"sqlite:///{tmp_path / 'v.db'}"
    log = loghub / "Apache" / "Apache_2k.log"
    out = runner.invoke(app, ["ingest", str(log), "--service", "apache", "--db", db, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"lines": 2000, "unparsed": 0, "blank": 0,
                                      "formats": {"apache-error": 2000}}
    out = runner.invoke(app, ["search", "jk2_init", "--level", "error", "--limit", "5", "--count", "--json",
                              "--db", db])
    page = json.loads(out.output)
    assert page["count"] > 5 and len(page["lines"]) == 5 and page["has_more"]
    assert all("jk2_init" in line["raw"] and line["level"] == "error" for line in page["lines"])
    table = runner.invoke(app, ["search", "jk2_init", "--limit", "3", "--db", db])
    assert table.exit_code == 0 and "jk2_init" in table.output
    stats = json.loads(runner.invoke(app, ["stats", "--service", "apache", "--json", "--db", db]).output)
    assert sum(row.get("error", 0) for row in stats) == 595
    attached = runner.invoke(app, ["attach", "--query", '"error state"', "--as", "ravi",
                                   "--incident", "INC-1", "--json", "--db", db])
    assert attached.exit_code == 0, attached.output
    info = json.loads(attached.output)
    shown = json.loads(runner.invoke(app, ["excerpt", str(info["id"]), "--json", "--db", db]).output)
    assert shown["intact"] and shown["matched"] == 539 == len(shown["lines"])
    piped = runner.invoke(app, ["ingest", "-", "--service", "stdin-app", "--json", "--db", db],
                          input='{"msg":"from a pipe","level":"warn"}\n')
    assert json.loads(piped.output)["lines"] == 1


def test_cli_reports_bad_input_as_one_clear_error(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'v.db'}"
    bad = runner.invoke(app, ["search", '"unclosed', "--db", db])
    assert bad.exit_code != 0 and "unbalanced quote" in str(bad.exception)
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope.log"), "--db", db])
    assert "cannot read the log file" in str(missing.exception)


def test_cli_detect_and_tail(tmp_path: Path) -> None:
    from datetime import timedelta

    from vigil.logs.ingest import Source, ingest_lines
    from vigil.plan.loader import load_plan
    from vigil.releases.service import create_release

    from .support import REPO

    db = f"sqlite:///{tmp_path / 'v.db'}"
    store = Store(db)
    plan, text = load_plan(REPO / "src" / "vigil" / "examples" / "checkout-leak.yaml")
    release = create_release(store, plan, text, "checkout-leak.yaml", now=NOW)
    start = release.started_at

    def line(minutes: float, level: str, msg: str) -> str:
        return json.dumps({"ts": (start + timedelta(minutes=minutes)).isoformat(), "level": level, "msg": msg})

    lines = [line(-30 + i, "error", f"cache miss for key {i}") for i in range(5)]
    lines += [line(10 + i / 10, "error", f"ledger write failed for batch {i}") for i in range(3)]
    ingest_lines(store, lines, Source("t", "checkout"), now=NOW)
    at = (start + timedelta(hours=1)).isoformat()
    out = runner.invoke(app, ["detect", release.slug, "--at", at, "--json", "--db", db])
    assert out.exit_code == 0, out.output
    signals = json.loads(out.output)
    assert [(s["rule"], s["count"]) for s in signals] == [("log-new-error-signature", 3)]
    assert "ledger write failed for batch <*>" in signals[0]["summary"]
    tail = runner.invoke(app, ["tail", "-n", "2", "--json", "--db", db])
    assert [json.loads(x)["message"] for x in tail.output.splitlines()] == [
        "ledger write failed for batch 1", "ledger write failed for batch 2"]
