"""One app on a copy of the demo store, shared by a module's generated requests (hypothesis runs many
examples per test, so building a store per example is not an option)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from vigil.clock import ManualClock
from vigil.store import Store
from vigil.web.app import create_app
from web_fixtures import NOW, DemoStore

AM_TOKEN = "alertmanager-secret"


@dataclass
class Served:
    store: Store
    client: TestClient
    token: str  # the Release Owner's API token
    url: str
    app: FastAPI


@contextmanager
def served_copy(demo_store: DemoStore) -> Iterator[Served]:
    with tempfile.TemporaryDirectory() as tmp:
        for path in demo_store.folder.iterdir():
            shutil.copyfile(path, Path(tmp) / path.name)
        url = f"sqlite:///{Path(tmp) / 'vigil.db'}"
        store = Store(url)
        app = create_app(store, clock=ManualClock(NOW), alertmanager_token=AM_TOKEN)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Served(store, client, demo_store.tokens["Ana Costa"], url, app)
        store.dispose()
