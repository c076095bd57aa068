"""Constants shared by the alerting tests (a module with a unique name, not conftest)."""

from __future__ import annotations

from datetime import UTC, datetime

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
