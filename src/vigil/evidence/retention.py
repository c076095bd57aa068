"""How long each kind of evidence is kept, legal holds, and purging what has expired.

Periods come, most specific first, from the release's plan (``governance.retention``), the file named by
``VIGIL_RETENTION_FILE`` (a YAML mapping ``kind: period`` with an optional ``default``), and the defaults
below. Purging removes only bytes that have expired and are not on hold; the row stays as a tombstone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import NotFound, VigilError
from vigil.evidence.archive import blob_path
from vigil.evidence.models import EvidenceItem
from vigil.plan.governance import parse_period
from vigil.releases.roles import authorize
from vigil.settings import Settings
from vigil.store import Store
from vigil.store.audit import append as audit

# Sane defaults: test and approval records for seven years (typical financial-services retention),
# raw log excerpts for two (they are bulky and mostly useful while incidents are still discussed).
DEFAULT_PERIODS: dict[str, str] = {
    "default": "7y",
    "log_excerpt": "2y",
    "dashboard": "2y",
}


# Legal holds are a governance decision: the Sponsor or the Release Owner of the evidence's release.
HOLDERS = ("sponsor", "release_owner")


class RetentionError(VigilError):
    """A retention configuration that cannot be used."""


@lru_cache(maxsize=8)
def _file_periods(path: str) -> dict[str, str]:
    try:
        data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, ValueError) as exc:
        raise RetentionError(f"{path}: cannot read the retention file: {exc}") from None
    if not isinstance(data, dict):
        raise RetentionError(f"{path}: must be a mapping of evidence kind to period, e.g. 'junit: 7y'")
    out = {}
    for kind, period in data.items():
        try:
            parse_period(period)
        except (ValueError, TypeError) as exc:
            raise RetentionError(f"{path}: {kind}: {exc}") from None
        out[str(kind)] = str(period) if not isinstance(period, int) else f"{period}d"
    return out


def period_for(kind: str, plan_overrides: dict[str, str] | None = None) -> timedelta:
    """The retention period of ``kind``: plan override, then the retention file, then the defaults."""
    settings = Settings()
    layers = [
        plan_overrides or {},
        _file_periods(settings.retention_file) if settings.retention_file else {},
        DEFAULT_PERIODS,
    ]
    for layer in layers:
        if kind in layer:
            return parse_period(layer[kind])
    for layer in layers:
        if "default" in layer:
            return parse_period(layer["default"])
    raise AssertionError("DEFAULT_PERIODS has a default")  # pragma: no cover


def set_legal_hold(store: Store, item_id: int, *, hold: bool, reason: str, actor: str, now: datetime) -> None:
    """Put an item on legal hold (it can then never be purged) or release it; audited."""
    if hold and not reason.strip():
        raise VigilError("a legal hold needs a reason (--reason)")
    with store.read() as session:
        release_id = _item(session, item_id).release_id
    if release_id is not None:
        authorize(store, release_id, actor, HOLDERS, "change a legal hold", now)
    with store.write() as session:
        item = _item(session, item_id)
        if item.purged:
            raise VigilError(f"evidence {item_id} was purged on {item.purged_at:%Y-%m-%d}; nothing to hold")
        item.legal_hold, item.hold_reason = hold, reason if hold else ""
        audit(
            session,
            at=now,
            actor=actor,
            action="evidence.hold" if hold else "evidence.release_hold",
            entity="evidence",
            entity_id=item.id,
            release_id=item.release_id,
            payload={"sha256": item.sha256, "reason": reason},
        )


@dataclass(frozen=True)
class PurgeReport:
    purged: list[int]
    held: list[int]  # expired, but kept because of a legal hold


def purge(store: Store, root: Path, *, actor: str, now: datetime, dry_run: bool = False) -> PurgeReport:
    """Delete the bytes of every expired item not on hold; keep each row as a tombstone; audited.

    Files are deleted inside the transaction, after its audit entries took the audit-head lock that
    ``archive`` also takes before writing a blob, so a concurrent archive of the same bytes either commits
    first (and the blob is kept as still needed) or writes the blob again after this purge.
    """
    with store.write() as session:
        expired = list(
            session.scalars(
                select(EvidenceItem)
                .where(EvidenceItem.retain_until <= now, EvidenceItem.purged_at.is_(None))
                .order_by(EvidenceItem.id)
            )
        )
        held = [i.id for i in expired if i.legal_hold]
        doomed = [i for i in expired if not i.legal_hold]
        if dry_run:
            return PurgeReport([i.id for i in doomed], held)
        for item in doomed:
            item.purged_at, item.purged_by = now, actor
            audit(
                session,
                at=now,
                actor=actor,
                action="evidence.purged",
                entity="evidence",
                entity_id=item.id,
                release_id=item.release_id,
                payload={
                    "sha256": item.sha256,
                    "kind": item.kind,
                    "retain_until": item.retain_until.isoformat(),
                },
            )
        session.flush()
        still_needed = set(
            session.scalars(
                select(EvidenceItem.sha256).where(
                    EvidenceItem.purged_at.is_(None), EvidenceItem.sha256.in_({i.sha256 for i in doomed})
                )
            )
        )
        for digest in {i.sha256 for i in doomed} - still_needed:
            path = blob_path(root, digest)
            if path.exists():
                path.chmod(0o644)
                path.unlink()
    return PurgeReport([i.id for i in doomed], held)


def _item(session: Session, item_id: int) -> EvidenceItem:
    item = session.get(EvidenceItem, item_id)
    if item is None:
        raise NotFound(f"no evidence item {item_id} (`vigil evidence list` shows them)")
    return item
