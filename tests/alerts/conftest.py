"""Alerting tests use the shared store and release factory (tests/alerting_fixtures.py)."""

from alerting_fixtures import BASE_PLAN, T0, make_release, store

__all__ = ["BASE_PLAN", "T0", "make_release", "store"]
