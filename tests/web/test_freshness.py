"""Pages and API reads are kept per store version: what another process writes shows at the next request,
a kept answer never skips the token check, and a browser's conditional GET gets 304 (still counted as a
dashboard view)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

import vigil
from vigil.access.models import ApiToken
from vigil.access.service import add_user, hash_token
from vigil.clock import ManualClock
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.reports.monitoring_log import render_monitoring_log
from vigil.store import Store
from vigil.watch import evaluate_checkpoint
from vigil.web.app import create_app
from vigil.web.freshness import LruCache, store_version
from web_fixtures import DEMO, NOW, World, bearer, demo_text, sign_in


def vigil_cli(world: World, *args: str) -> str:
    """Run the CLI in its own process on the test's store, as an operator would beside the server."""
    env = {**os.environ, "PYTHONPATH": str(Path(vigil.__file__).parents[1]), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "vigil", *args, "--db", world.store.url], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def demo_row(client: TestClient, token: str) -> dict[str, object]:
    listing = client.get("/api/v1/releases", headers=bearer(token)).json()
    row: dict[str, object] = next(r for r in listing["releases"] if r["slug"] == DEMO)
    return row


def test_another_process_writing_shows_at_the_next_request(client: TestClient, world: World) -> None:
    assert demo_row(client, world.viewer)["open_incidents"] == 1
    page = client.get(f"/releases/{DEMO}", headers=bearer(world.viewer)).text
    assert "Dashboard load times out" not in page
    before = store_version(world.store)
    vigil_cli(world, "incident", "open", DEMO, "--title", "Dashboard load times out", "--as", "Ana Costa")
    assert store_version(world.store) > before
    assert demo_row(client, world.viewer)["open_incidents"] == 2
    assert "Dashboard load times out" in client.get(f"/releases/{DEMO}", headers=bearer(world.viewer)).text
    assert "Dashboard load times out" in client.get(f"/api/v1/releases/{DEMO}", headers=bearer(world.viewer)).text


def test_the_live_fragment_follows_a_watch_writing_from_another_process(world: World) -> None:
    text = demo_text().replace("seed: 42", "seed: 45")
    plan = parse_plan(text, "running.yaml")
    release = create_release(world.store, plan, text, "running.yaml", now=plan.release.date, slug="running")
    add_user(world.store, "Vic Viewer", plan.release.date, role="viewer", release="running")  # reads are scoped
    clock = ManualClock(plan.release.date + timedelta(minutes=20))
    watcher = Store(world.store.url)  # the watch's own connection to the store, as in `vigil watch`
    evaluate_checkpoint(watcher, release.id, "T+0", clock.now())
    with TestClient(create_app(world.store, clock=clock)) as client:
        first = client.get("/releases/running/live?v=none", headers=bearer(world.viewer))
        assert 'hx-trigger="every 10s"' in first.text  # still being watched: the page keeps polling
        assert "at T+0<" in first.text and "at T+15m" not in first.text
        version = first.text.split('data-version="', 1)[1].split('"', 1)[0]
        assert client.get(f"/releases/running/live?v={version}", headers=bearer(world.viewer)).status_code == 204
        evaluate_checkpoint(watcher, release.id, "T+15m", clock.now())
        changed = client.get(f"/releases/running/live?v={version}", headers=bearer(world.viewer))
        assert changed.status_code == 200 and f'data-version="{version}"' not in changed.text
        assert "at T+15m" in changed.text  # the latest evaluated checkpoint
    watcher.dispose()


def test_a_role_granted_elsewhere_changes_what_the_page_offers(client: TestClient, world: World) -> None:
    sign_in(client, world.viewer)
    assert "Acknowledge T+2h decision" not in client.get(f"/releases/{DEMO}").text
    vigil_cli(world, "user", "add", "Vic Viewer", "--role", "monitoring_owner", "--release", DEMO)
    page = client.get(f"/releases/{DEMO}").text
    assert "Acknowledge T+2h decision" in page and "monitoring_owner" in page


def test_a_token_revoked_by_another_process_is_refused_at_once(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/releases", headers=bearer(world.viewer)).status_code == 200
    with world.store.read() as session:
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(world.viewer)))
    vigil_cli(world, "user", "revoke", str(token_id))
    assert client.get("/api/v1/releases", headers=bearer(world.viewer)).status_code == 401
    page = client.get(f"/releases/{DEMO}", headers=bearer(world.viewer), follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_conditional_get_answers_304_only_to_a_valid_token(client: TestClient, world: World) -> None:
    first = client.get("/api/v1/releases", headers=bearer(world.viewer))
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get("/api/v1/releases", headers={**bearer(world.viewer), "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/api/v1/releases", headers={"If-None-Match": etag}).status_code == 401
    stale = client.get("/api/v1/releases", headers={**bearer(world.viewer), "If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.content == first.content


def test_a_page_answered_304_still_counts_as_a_dashboard_view(client: TestClient, world: World) -> None:
    sign_in(client, world.owner)
    etag = client.get(f"/releases/{DEMO}").headers["etag"]
    assert client.get(f"/releases/{DEMO}", headers={"If-None-Match": etag}).status_code == 304
    client.app.state.vigil.usage.flush()  # type: ignore[attr-defined]
    log = render_monitoring_log(world.store, DEMO, NOW)
    assert "- **Primary Dashboard:** opened 2 times by Ana Costa (2)" in log


def test_each_viewer_gets_their_own_page(client: TestClient, world: World) -> None:
    owner = client.get(f"/releases/{DEMO}", headers=bearer(world.owner)).text
    viewer = client.get(f"/releases/{DEMO}", headers=bearer(world.viewer)).text
    assert "Signed in as <strong>Ana Costa</strong>" in owner and "Acknowledge T+2h decision" in owner
    assert "Signed in as <strong>Vic Viewer</strong>" in viewer and "Acknowledge" not in viewer


class _CountingCache(LruCache[str, int]):
    """Counts lookups, so the test knows when every thread has missed and is queued behind the build."""

    def __init__(self, max_items: int) -> None:
        super().__init__(max_items)
        self.lookups = threading.Condition()
        self.misses = 0

    def get(self, key: str) -> int | None:
        found = super().get(key)
        if found is None:
            with self.lookups:
                self.misses += 1
                self.lookups.notify_all()
        return found


def test_a_value_missing_under_load_is_built_once() -> None:
    cache = _CountingCache(4)
    builds: list[int] = []
    building, release = threading.Event(), threading.Event()

    def build() -> int:
        builds.append(1)
        building.set()
        release.wait()  # held until the other seven have missed and wait for this build
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_build("page", build))) for _ in range(8)]
    threads[0].start()
    building.wait()
    for t in threads[1:]:
        t.start()
    with cache.lookups:
        cache.lookups.wait_for(lambda: cache.misses >= 8)
    release.set()
    for t in threads:
        t.join()
    assert results == [42] * 8 and len(builds) == 1
    for key in "abcde":
        cache.put(key, 0)
    assert cache.get("page") is None and len(cache) == 4  # the least recently used went first
