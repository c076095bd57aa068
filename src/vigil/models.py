"""Imports every domain's models so ``Base.metadata`` is complete (for Alembic and for tests)."""

from vigil.access import models as access_models
from vigil.alerts import models as alert_models
from vigil.evidence import models as evidence_models
from vigil.governance import models as governance_models
from vigil.incidents import models as incident_models
from vigil.logs import models as log_models
from vigil.releases import models as release_models
from vigil.retro import models as retro_models
from vigil.signoffs import models as signoff_models
from vigil.smoke import models as smoke_models
from vigil.store import audit
from vigil.usage import models as usage_models
from vigil.watch import budget_models, work_models
from vigil.watch import models as watch_models

__all__ = [
           "access_models",
           "alert_models",
           "audit",
           "budget_models",
           "evidence_models",
           "governance_models",
           "incident_models",
           "log_models",
           "release_models",
           "retro_models",
           "signoff_models",
           "smoke_models",
           "usage_models",
           "watch_models",
           "work_models",
]
