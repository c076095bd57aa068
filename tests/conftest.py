"""Shared fixtures. The governance fixtures live in tests/governance_fixtures.py."""

pytest_plugins = ["governance_fixtures"]
