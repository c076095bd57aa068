"""Fixtures for the log tests: stores on SQLite and on the local PostgreSQL, the loghub data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from vendored_data import unpack_data
from vigil.store import Store

from .support import PG_ADMIN


@pytest.fixture(scope="session")
def loghub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vendored loghub samples: ``<System>/<System>_2k.log`` and ``..._2k.log_structured.csv``."""
    return unpack_data("loghub", tmp_path_factory.mktemp("data"))


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
