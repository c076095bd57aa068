"""Fixtures for the log tests: stores on SQLite and on the local PostgreSQL, the loghub data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.store import Store

from .support import PG_ADMIN, data_dir


@pytest.fixture(scope="session")
def loghub() -> Path:
    return data_dir() / "loghub"


@pytest.fixture
def pg_store() -> Iterator[Store]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"vigil_logs_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    store = Store(f"{base}/{name}")
    yield store
    store.dispose()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest) -> Store:
    """The same test on the embedded store and on PostgreSQL."""
    return request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "pg_store")
