"""Shared fixtures: stores on SQLite and on the local PostgreSQL server, the vendored test data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from vendored_data import DATA, unpack_data
from vigil.store import Store

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "src" / "vigil" / "examples"
PG_ADMIN = os.environ.get("VIGIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
pytest_plugins = ["audit_guard"]  # every test fails if it commits a page-visible write without auditing it


@pytest.fixture(scope="session")
def nab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vendored NAB subset (``data/<category>/<file>.csv``, ``labels/combined_windows.json``)."""
    return unpack_data("nab", tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def seeds() -> Path:
    """The seed documents vigil was created from (the monitoring-log template)."""
    return DATA / "seeds"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vigil.db'}"


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """A store on a fresh SQLite file, for tests that need no PostgreSQL run."""
    store = Store(sqlite_url)
    yield store
    store.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"vigil_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def demo_plan_text() -> str:
    return (EXAMPLES / "checkout-leak.yaml").read_text(encoding="utf-8")
