"""Seal a written report into the evidence archive (AUD-03), tagged with what it evidences."""

from __future__ import annotations

from datetime import datetime

from vigil.evidence.archive import evidence_root
from vigil.evidence.models import EvidenceItem
from vigil.evidence.service import seal
from vigil.releases.service import get_release
from vigil.store import Store

# The monitoring log is the Post-Release step's "monitoring logs and dashboards available" output.
MONITORING_LOG_REQUIREMENTS = ["REQ-28", "DEP-03"]


def seal_monitoring_log(store: Store, release_ref: str | int, text: str, *, creator: str,
                        now: datetime) -> EvidenceItem:
    with store.write() as session:
        release = get_release(session, release_ref)
        return seal(session, evidence_root(store.url), release.id, kind="monitoring_log",
                    requirement_ids=MONITORING_LOG_REQUIREMENTS, content=text.encode("utf-8"),
                    filename=f"monitoring-log-{release.slug}.md", media_type="text/markdown",
                    creator=creator, now=now)
