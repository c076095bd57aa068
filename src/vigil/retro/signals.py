"""What the recorded data says went well or badly: the retrospective's draft.

Each provider reads one domain and returns findings. The watch domain's provider lives here; the alerts
and incidents domains register theirs with ``register`` (true positives and fast recoveries as "worked";
missed issues, false positives and slow acknowledgements as "improve") without this module knowing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.analysis.statuses import STATUS_ORDER
from vigil.releases.models import Release
from vigil.watch.models import Checkpoint, RollbackEvent


@dataclass(frozen=True)
class Finding:
    category: str  # worked | improve
    text: str
    source: str = ""  # "checkpoint:T+2h", "alert:7", "incident:3"
    action: str | None = None  # a suggested action item title, for "improve" findings


Provider = Callable[[Session, Release], list[Finding]]
PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


def gather(session: Session, release: Release) -> list[Finding]:
    return [finding for provider in PROVIDERS for finding in provider(session, release)]


@register
def checkpoint_findings(session: Session, release: Release) -> list[Finding]:
    """Breached thresholds, missing data, caught trends and recoveries from the evaluated checkpoints."""
    checkpoints = list(
        session.scalars(
            select(Checkpoint)
            .where(Checkpoint.release_id == release.id, Checkpoint.state == "evaluated")
            .order_by(Checkpoint.offset_seconds)
        )
    )
    out: list[Finding] = []
    worst: dict[str, tuple[str, str, str]] = {}  # metric -> (status, checkpoint, label)
    trended: set[str] = set()
    for cp in checkpoints:
        for r in cp.readings:
            if (
                r.status in {"warning", "critical"}
                and STATUS_ORDER[r.status] > STATUS_ORDER[worst.get(r.metric, ("ok",))[0]]
            ):
                worst[r.metric] = (r.status, cp.name, r.label)
            if (r.details.get("trend") or {}).get("significant") and r.metric not in trended:
                trended.add(r.metric)  # one finding per metric: the first checkpoint that caught it
                out.append(
                    Finding(
                        "worked",
                        f"The trend test flagged {r.label} growing at {cp.name}, before a "
                        "fixed threshold would have.",
                        f"checkpoint:{cp.name}",
                    )
                )
    for status, name, label in worst.values():
        out.append(
            Finding(
                "improve",
                f"{label} breached its {status} threshold at {name}.",
                f"checkpoint:{name}",
                f"Find and fix the cause of the {label} {status} at {name}",
            )
        )
    unknown = [cp.name for cp in checkpoints if cp.decision is not None and cp.decision.health == "unknown"]
    if unknown:
        out.append(
            Finding(
                "improve",
                f"Metric data was missing at {', '.join(unknown)}.",
                f"checkpoint:{unknown[0]}",
                "Make the metric sources reliable enough to never miss a checkpoint",
            )
        )
    return out + _rollback_findings(session, release)


def _rollback_findings(session: Session, release: Release) -> list[Finding]:
    event = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release.id))
    if event is None:
        return []
    source = f"checkpoint:{event.checkpoint.name}"
    if event.verified and event.completed_at is not None:
        minutes = (event.completed_at - event.decided_at).total_seconds() / 60
        return [
            Finding(
                "worked",
                f"Fast recovery: the rollback decided at {event.checkpoint.name} completed "
                f"and was verified {minutes:.0f} minutes later.",
                source,
            )
        ]
    return [
        Finding(
            "improve",
            f"The rollback decided at {event.checkpoint.name} ended {event.state} and was not verified.",
            source,
            "Make the rollback action reliable and verifiable",
        )
    ]
