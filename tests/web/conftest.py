"""Fixtures for the web tests live in support.py (importable by name); pytest finds them through here."""

from tests.web.support import client, world

__all__ = ["client", "world"]
