"""Imports every domain's models so ``Base.metadata`` is complete (for Alembic and for tests)."""

from vigil.alerts import models as alert_models
from vigil.incidents import models as incident_models
from vigil.releases import models as release_models
from vigil.store import audit
from vigil.watch import models as watch_models

__all__ = ["alert_models", "audit", "incident_models", "release_models", "watch_models"]
