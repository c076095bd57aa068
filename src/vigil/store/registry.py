"""Imports every domain's models so ``Base.metadata`` is complete (for Alembic and for tests)."""

from vigil.access import models as access_models
from vigil.releases import models as release_models
from vigil.signoffs import models as signoff_models
from vigil.store import audit
from vigil.watch import models as watch_models
from vigil.web import models as web_models

__all__ = ["access_models", "audit", "release_models", "signoff_models", "watch_models", "web_models"]
