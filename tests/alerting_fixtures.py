"""Fixtures shared by the alerting and incident tests: a SQLite store and releases of a small leaky
canary plan (imported by name from tests/, which is on pytest's path)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.store import Store

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

BASE_PLAN = """
release:
  name: Checkout test
  service: checkout
  version: "2.3.0"
  date: 2026-11-24T08:00:00+00:00
  deployment_method: canary
people:
  release_owner: {name: Ana Costa, email: ana@example.com}
  monitoring_owner: {name: Ravi Menon}
  participants:
    - {name: Sam Okafor}
source:
  kind: simulator
  seed: 42
  faults:
    - {kind: memory_leak, start: 0m, magnitude: 5.5}
checkpoints: [T+0, T+15m, T+1h, T+2h, T+4h]
"""


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


@pytest.fixture
def make_release(store: Store) -> Callable[..., Release]:
    def make(extra: str = "", slug: str = "checkout-test") -> Release:
        text = BASE_PLAN + extra
        return create_release(store, parse_plan(text), text, "plan.yaml", now=T0, slug=slug)

    return make
