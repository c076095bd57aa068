"""The web fixtures live in tests/web_fixtures.py (importable by name); pytest finds them through here."""

from web_fixtures import client, demo_store, world

__all__ = ["client", "demo_store", "world"]
