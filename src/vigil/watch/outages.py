"""What happens when a metric source cannot answer at a checkpoint.

The checkpoint itself already says so (the metric reads "no data", health is "unknown", the rollout
holds); this records the outage in the audit chain, in the checkpoint's transaction, and is the one place
the alerting domain plugs in to page someone (``vigil.alerts.service.fire_alert``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from vigil.releases.service import SYSTEM_ACTOR
from vigil.store.audit import append as audit
from vigil.watch.models import Checkpoint


def on_source_unavailable(session: Session, *, release_id: int, checkpoint: Checkpoint,
                          errors: dict[str, str], now: datetime) -> None:
    """``errors``: metric name -> why its source failed (after the source's own retries)."""
    audit(session, at=now, actor=SYSTEM_ACTOR, action="source.unavailable", entity="checkpoint",
          entity_id=checkpoint.id, release_id=release_id,
          payload={"checkpoint": checkpoint.name, "errors": errors})
    # Alert hook: fire_alert(session, release_id=release_id, rule="source_unavailable", severity="warning",
    # fingerprint=f"source-unavailable:{release_id}", summary=..., labels={...}, now=now, source="vigil")
    # goes here once the alerts domain lands; one fingerprint per release so an outage pages once.
