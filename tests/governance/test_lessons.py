"""Lessons learned (PM-30): pages and an index across releases and services, search, webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from governance_fixtures import make_release
from vigil.errors import PermissionDenied, VigilError
from vigil.governance.lessons import publish, search
from vigil.retro.service import draft


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "json": json.loads(body)})
        self.send_response(204 if self.path == "/hook" else 500)
        self.end_headers()


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Hook.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", _Hook.received
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_publish_pages_and_index_across_services_and_search_them(watched, tmp_path, hook):
    base, received = hook
    kb, root = tmp_path / "kb", tmp_path / "ev"
    draft(
        watched.store,
        root,
        watched.slug,
        actor="Ravi Menon",
        now=watched.end,
        learnings=[("improve", "Soak-test the payment heap before canary")],
    )
    page, item, announced = publish(
        watched.store, root, watched.slug, actor="Ana Costa", now=watched.end, kb=kb, webhook=f"{base}/hook"
    )
    assert page == kb / "checkout" / "checkout-2.3.0.md"
    text = page.read_text()
    assert text.startswith("# Lessons learned: Checkout v2.3") and "Soak-test the payment heap" in text
    assert "**Tags:** canary, memory-leak" in text
    html = page.with_suffix(".html").read_text()
    assert "<h1>Lessons learned: Checkout v2.3" in html and "<li>Soak-test the payment heap" in html
    assert item.kind == "lessons" and item.requirement_ids == ["PM-30"]
    assert announced == "204" and received[0]["json"]["slug"] == "checkout-2.3.0"
    assert received[0]["json"]["location"].endswith("checkout/checkout-2.3.0.md")

    other = make_release(watched.store, watched.end, slug="search-1.0", service="search")
    draft(
        watched.store,
        root,
        other.slug,
        actor="Ravi Menon",
        now=watched.end,
        learnings=[("worked", "Blue-green switch was instant")],
    )
    publish(watched.store, root, other.slug, actor="Ravi Menon", now=watched.end, kb=kb)

    index = (kb / "index.md").read_text()
    assert "2 releases across 2 services" in index
    assert "## checkout" in index and "## search" in index
    assert "[Checkout v2.3 — one-click payment](checkout/checkout-2.3.0.md)" in index
    assert 'href="checkout/checkout-2.3.0.html"' in (kb / "index.html").read_text()

    hits = search(kb, "payment heap")
    assert [h.path.name for h in hits] == ["checkout-2.3.0.md"]
    assert any("Soak-test the payment heap" in line for line in hits[0].lines)
    assert [h.service for h in search(kb, "BLUE-GREEN instant")] == ["search"]
    assert search(kb, "kubernetes") == []


def test_a_failed_announcement_is_recorded_not_fatal(watched, tmp_path, hook):
    base, _ = hook
    draft(watched.store, tmp_path, watched.slug, actor="Ravi Menon", now=watched.end)
    _, _, announced = publish(
        watched.store,
        tmp_path,
        watched.slug,
        actor="Ravi Menon",
        now=watched.end,
        kb=tmp_path / "kb",
        webhook=f"{base}/broken",
    )
    assert announced == "failed: HTTP 500"
    assert (tmp_path / "kb" / "checkout" / "checkout-2.3.0.md").exists()


def test_publishing_needs_a_retrospective_and_an_owner(watched, tmp_path):
    with pytest.raises(PermissionDenied):
        publish(
            watched.store, tmp_path, watched.slug, actor="Sam Okafor", now=watched.end, kb=tmp_path / "kb"
        )
    with pytest.raises(VigilError, match="hold the retrospective first"):
        publish(
            watched.store, tmp_path, watched.slug, actor="Ravi Menon", now=watched.end, kb=tmp_path / "kb"
        )
    assert not (tmp_path / "kb").exists()


def test_cli_publish_and_search(watched, vigil_cli, tmp_path):
    url = watched.store.url
    assert (
        vigil_cli("retro", watched.slug, "--as", "Ravi Menon", "--improve", "Watch GC pauses", "--db", url)[0]
        == 0
    )
    code, out = vigil_cli("lessons", "publish", watched.slug, "--as", "Ravi Menon", "--db", url)
    assert code == 0 and "Published" in out
    code, out = vigil_cli("lessons", "search", "gc", "pauses")
    assert code == 0 and "Checkout v2.3" in out and "Watch GC pauses" in out
    code, out = vigil_cli("lessons", "search", "--kb", str(tmp_path / "nowhere"), "gc")
    assert code == 1 and "no knowledge base" in out
