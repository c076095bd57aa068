"""End to end in Debian's Chromium: the overview lists the demo release, its dashboard draws the charts
and shows the rollback and its reasons, and a viewer can approve nothing (refusal audited).

The store is seeded by the real `vigil demo` command; the server is the real app under uvicorn on a free
loopback port. Screenshots are kept in test-artifacts/.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from typer.testing import CliRunner

from vigil.access.service import add_user, create_token
from vigil.cli.app import root
from vigil.store import Store
from vigil.store.audit import AuditEntry
from vigil.web.app import create_app

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO = "checkout-2.3.0-demo"


@dataclass
class Server:
    url: str
    store: Store
    owner: str
    viewer: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{work / 'vigil.db'}"
    demo = CliRunner().invoke(root, ["demo", "--db", db, "--out", str(work / "log")])
    assert demo.exit_code == 0, demo.output
    store = Store(db)
    now = datetime.now(UTC)
    add_user(store, "Vic Viewer", now, email="vic@example.com", role="viewer", release=DEMO)
    owner, viewer = create_token(store, "Ana Costa", now)[1], create_token(store, "Vic Viewer", now)[1]
    # Bind and listen before the server thread starts: connections queue until it serves, no waiting.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(store), log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield Server(f"http://127.0.0.1:{port}", store, owner, viewer)
    uv.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


def sign_in(browser: Browser, server: Server, token: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server.url + "/")
    expect(page).to_have_url(f"{server.url}/login?next=/")
    page.fill("#token", token)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Releases")
    return page


def test_overview_to_dashboard_shows_charts_rollback_and_reasons(browser: Browser, server: Server) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = sign_in(browser, server, server.owner)
    row = page.locator(f"tr[data-release='{DEMO}']")
    expect(row).to_contain_text("rolled back")
    expect(row).to_contain_text("rollback")
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    row.locator("a").first.click()
    expect(page.locator("#rollback h2")).to_have_text("Rollback at T+2h: completed")
    expect(page.locator("li[data-checkpoint='T+2h'] .reasons")).to_contain_text("leak suspected")
    charts = page.locator("figure.chart")
    expect(charts).to_have_count(11)
    expect(page.locator("figure.chart[data-drawn='yes']")).to_have_count(11)  # uPlot drew every one
    expect(page.locator("figure.chart[data-metric='memory_usage'] canvas")).to_have_count(1)
    expect(page.locator("#traffic")).to_contain_text("new 2.3.0: 0%")
    page.locator("figure.chart[data-metric='memory_usage']").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "release-dashboard.png"), full_page=True)
    assert (ARTIFACTS / "release-dashboard.png").stat().st_size > 50_000
    page.close()


def test_a_viewer_cannot_approve_anything(browser: Browser, server: Server) -> None:
    page = sign_in(browser, server, server.viewer)
    page.goto(f"{server.url}/releases/{DEMO}")
    expect(page.locator("#timeline")).to_contain_text("T+2h")
    expect(page.locator("button.approve")).to_have_count(0)
    expect(page.locator("#execute-rollback")).to_have_count(0)
    # Post the approval anyway, with this session's valid CSRF token, as a crafted form would.
    page.evaluate(
        """([slug]) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = `/releases/${slug}/checkpoints/T%2B2h/acknowledge`;
        const csrf = document.querySelector('input[name=csrf_token]').cloneNode();
        form.appendChild(csrf);
        document.body.appendChild(form);
        form.submit();
    }""",
        [DEMO],
    )
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator(".message")).to_contain_text("only the Release Owner or Monitoring Owner")
    expect(page.locator("header .who")).to_contain_text("Signed in as Vic Viewer")
    page.screenshot(path=str(ARTIFACTS / "viewer-refused.png"))
    with server.store.read() as session:
        refused = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "permission.denied", AuditEntry.actor == "Vic Viewer"
            )
        ).all()
    assert len(refused) == 1 and refused[0].payload["action"] == "acknowledge checkpoint T+2h"
    page.close()


def test_an_owner_acknowledges_in_the_browser(browser: Browser, server: Server) -> None:
    page = sign_in(browser, server, server.owner)
    page.goto(f"{server.url}/releases/{DEMO}")
    item = page.locator("li[data-checkpoint='T+2h']")
    item.locator("input[name=note]").fill("Rolled back <b>as planned</b>")
    item.locator("button.approve").click()
    expect(page.locator(".flash.ok")).to_contain_text("acknowledgement was recorded")
    expect(page.locator("li[data-checkpoint='T+2h'] .ack")).to_contain_text("Rolled back <b>as planned</b>")
    page.close()


def test_api_docs_render_from_the_vendored_swagger_ui_under_the_normal_csp(browser: Browser, server: Server) -> None:
    page = browser.new_page()
    outside: list[str] = []
    violations: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{server.url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("vigil")
    expect(page.locator(".opblock-summary-path[data-path='/api/v1/releases']").first).to_be_visible()
    assert outside == [] and violations == []
    page.close()
