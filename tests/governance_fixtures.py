"""Fixtures for the governance tests (evidence, smoke, retro, governance): stores on SQLite and
PostgreSQL, a manual clock, releases registered from the example plan, and the CLI run in-process."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

import vigil
from vigil.clock import ManualClock
from vigil.evidence.archive import evidence_root
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.store import Store

# Exported by name (underscored fixtures included) for the star imports in each governance test folder.
__all__ = ["EXAMPLE", "T0", "Watched", "_isolated_settings", "_watched_template", "clock", "make_release",
           "pg_store", "release", "root", "store", "vigil_cli", "watched"]

EXAMPLE = Path(vigil.__file__).parent / "examples" / "checkout-leak.yaml"
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # the example plan's T+0 (09:00 Europe/Berlin)


def make_release(
    store: Store,
    now: datetime,
    *,
    extra: str = "",
    slug: str = "checkout-2.3.0",
    service: str | None = None,
    people: str | None = None,
) -> Release:
    """Register the example plan, optionally with more YAML appended or a different service / people."""
    text = EXAMPLE.read_text(encoding="utf-8")
    if service:
        text = text.replace("service: checkout", f"service: {service}")
    if people:
        start, end = text.index("people:"), text.index("source:")
        text = text[:start] + people + "\n" + text[end:]
    text += extra
    return create_release(store, parse_plan(text, "plan.yaml"), text, "plan.yaml", now=now, slug=slug)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("VIGIL_EVIDENCE_DIR", "VIGIL_RETENTION_FILE", "VIGIL_DB", "VIGIL_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VIGIL_KB_DIR", str(tmp_path / "kb"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def root(store: Store) -> Path:
    """The evidence folder the CLI uses for this store (next to the SQLite file)."""
    return evidence_root(store.url)


@pytest.fixture
def release(store: Store, clock: ManualClock) -> Release:
    return make_release(store, clock.now())


@dataclass
class Watched:
    store: Store
    slug: str
    end: datetime  # when the watch finished (the last evaluated checkpoint)


@pytest.fixture(scope="session")
def _watched_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, datetime]:
    """The example leaky canary watched T+0…T+24h once per session; tests get a copy of the database."""
    from vigil.flows.watch_loop import watch

    path = tmp_path_factory.mktemp("template") / "vigil.db"
    s = Store(f"sqlite:///{path}")
    clock = ManualClock(T0)
    make_release(s, clock.now())
    watch(s, clock, ["checkout-2.3.0"])
    s.dispose()
    return path, clock.now()


@pytest.fixture
def watched(tmp_path: Path, _watched_template: tuple[Path, datetime]) -> Iterator[Watched]:
    template, end = _watched_template
    shutil.copy(template, tmp_path / "vigil.db")
    shutil.copy(f"{template}.audit-heads", tmp_path / "vigil.db.audit-heads")  # the chain's published heads
    s = Store(f"sqlite:///{tmp_path / 'vigil.db'}")
    yield Watched(s, "checkout-2.3.0", end)
    s.dispose()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """A store on a throw-away PostgreSQL database (the root conftest's ``pg_url``)."""
    s = Store(pg_url)
    yield s
    s.dispose()


@pytest.fixture
def vigil_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str]]:
    """Run ``vigil ARGS`` in-process; return (exit code, stdout + stderr)."""
    from vigil.cli.app import main
    from vigil.cli.common import console, err_console

    # Wide consoles so messages are not wrapped in the middle of the names the tests look for.
    monkeypatch.setattr(console, "width", 300)
    monkeypatch.setattr(err_console, "width", 300)

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["vigil", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out + out.err

    return run
