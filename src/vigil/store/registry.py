"""Imports every domain's models so ``Base.metadata`` is complete (for Alembic and for tests)."""

from vigil.evidence import models as evidence_models
from vigil.governance import models as governance_models
from vigil.logs import models as log_models
from vigil.releases import models as release_models
from vigil.retro import models as retro_models
from vigil.smoke import models as smoke_models
from vigil.store import audit
from vigil.watch import models as watch_models

__all__ = ["audit", "evidence_models", "governance_models", "log_models", "release_models", "retro_models",
           "smoke_models", "watch_models"]
