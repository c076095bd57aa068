from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from incident_support import BASE_PLAN, T0

from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'vigil.db'}")
    yield s
    s.dispose()


@pytest.fixture
def make_release(store: Store) -> Callable[..., Release]:
    def make(extra: str = "", slug: str = "checkout-test") -> Release:
        text = BASE_PLAN + extra
        return create_release(store, parse_plan(text), text, "plan.yaml", now=T0, slug=slug)

    return make
