"""Imports every domain's models so ``Base.metadata`` is complete (for Alembic and for tests)."""

from vigil.logs import models as log_models
from vigil.releases import models as release_models
from vigil.store import audit
from vigil.watch import models as watch_models

__all__ = ["audit", "log_models", "release_models", "watch_models"]
