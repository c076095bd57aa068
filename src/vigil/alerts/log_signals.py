"""Log-based detections (error rate per minute, error signatures new since the release) fed into the same
alert pipeline as metric rules, so they de-duplicate, page, open incidents and count in effectiveness alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from vigil.alerts.models import Alert
from vigil.alerts.service import fire_alert
from vigil.logs.models import LogRecord
from vigil.logs.service import detect
from vigil.releases.models import Release
from vigil.store import Store


def fire_log_signals(store: Store, release_id: int, now: datetime) -> list[Alert]:
    """Run log detection for the release's service and fire one alert per signal (idempotent per signal)."""
    with store.read() as session:
        release = session.get(Release, release_id)
        if release is None:
            return []
        # Mining templates is not free: skip services whose logs are not collected here at all.
        has_logs = session.scalar(select(LogRecord.id).where(LogRecord.service == release.service).limit(1))
    if has_logs is None:
        return []
    signals = detect(store, str(release_id), now=now)
    fired = []
    with store.write() as session:
        for signal in signals:
            fired.append(fire_alert(
                session, release_id=release_id, rule=signal.rule, severity=signal.severity,
                fingerprint=signal.fingerprint, summary=signal.summary,
                labels={"service": signal.service, "count": signal.count, "first_seen": signal.first_seen.isoformat(),
                        "samples": list(signal.samples)},
                now=now, source="logs", service=signal.service))
    return fired
