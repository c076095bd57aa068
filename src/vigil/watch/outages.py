"""What happens when a metric source cannot answer at a checkpoint.

The checkpoint itself already says so (the metric reads "no data", health is "unknown", the rollout
holds); this records the outage in the audit chain and raises an alert through the one alert entry point,
both in the checkpoint's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from vigil.alerts.service import fire_alert
from vigil.releases.service import SYSTEM_ACTOR
from vigil.store.audit import append as audit
from vigil.watch.models import Checkpoint


def on_source_unavailable(session: Session, *, release_id: int, checkpoint: Checkpoint,
                          errors: dict[str, str], now: datetime) -> None:
    """``errors``: metric name -> why its source failed (after the source's own retries)."""
    audit(session, at=now, actor=SYSTEM_ACTOR, action="source.unavailable", entity="checkpoint",
          entity_id=checkpoint.id, release_id=release_id,
          payload={"checkpoint": checkpoint.name, "errors": errors})
    # One fingerprint per release, so an outage spanning several checkpoints pages once.
    fire_alert(session, release_id=release_id, rule="source_unavailable", severity="warning",
               fingerprint=f"source-unavailable:{release_id}",
               summary=f"Metric source unavailable at {checkpoint.name} for {len(errors)} metric(s): "
                       + "; ".join(f"{name}: {why}" for name, why in sorted(errors.items()))[:500],
               labels={"checkpoint": checkpoint.name, "metrics": ",".join(sorted(errors))},
               now=now, source="source-outage")
