"""A store holding the demo release (watched to the end on a simulated clock) and people with tokens."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from audit_guard import unaudited
from vigil.access.service import add_user, create_token
from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.web.app import create_app

DEMO = "checkout-2.3.0-demo"
NOW = datetime.fromisoformat("2026-11-25T12:00:00+00:00")


def demo_text() -> str:
    return (resources.files("vigil") / "examples" / "checkout-leak.yaml").read_text(encoding="utf-8")


def register_and_watch(store: Store, text: str, slug: str) -> None:
    plan = parse_plan(text, "test.yaml")
    clock = ManualClock(plan.release.date)
    create_release(store, plan, text, "test.yaml", now=clock.now(), slug=slug)
    watch(store, clock, [slug])


@dataclass
class World:
    store: Store
    clock: ManualClock
    owner: str  # Ana Costa, Release Owner of the demo
    monitor: str  # Ravi Menon, Monitoring Owner
    viewer: str  # Vic Viewer, viewer of the demo


@dataclass(frozen=True)
class DemoStore:
    folder: Path  # the store's files (the database and whatever SQLite keeps beside it)
    tokens: dict[str, str]  # person → API token


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    """The demo release watched to the end, a viewer, and everyone's tokens — built once per test session
    (the watch takes seconds) and copied into each test's own folder by ``world``."""
    folder = tmp_path_factory.mktemp("demo-store")
    store = Store(f"sqlite:///{folder / 'vigil.db'}")
    unaudited.clear()  # what building it commits is held to the same rule as a test's own writes
    register_and_watch(store, demo_text(), DEMO)
    add_user(store, "Vic Viewer", NOW, email="vic@example.com", role="viewer", release=DEMO)
    tokens = {name: create_token(store, name, NOW)[1] for name in ("Ana Costa", "Ravi Menon", "Vic Viewer")}
    store.dispose()  # closes every connection, so the files on disk are the whole store
    assert not unaudited, f"building the demo store committed without an audit entry: {unaudited}"
    return DemoStore(folder, tokens)


@pytest.fixture
def world(demo_store: DemoStore, tmp_path: Path) -> Iterator[World]:
    """A fresh copy of the demo store for one test: what a test writes never reaches another."""
    for path in demo_store.folder.iterdir():
        shutil.copyfile(path, tmp_path / path.name)
    store = Store(f"sqlite:///{tmp_path / 'vigil.db'}")
    tokens = demo_store.tokens
    yield World(store, ManualClock(NOW), tokens["Ana Costa"], tokens["Ravi Menon"], tokens["Vic Viewer"])
    store.dispose()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.store, clock=world.clock)) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"token": token, "csrf_token": csrf_of(page.text), "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 303
    return csrf_of(client.get("/").text)
