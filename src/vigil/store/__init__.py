"""Persistence: the engine and sessions, migrations, the audit chain."""

from vigil.store.db import Store

__all__ = ["Store"]
