"""Small helpers the governance commands share: the evidence folder and the current time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vigil.store import Store


def evidence_dir(store: Store) -> Path:
    from vigil.evidence.archive import evidence_root

    return evidence_root(store.url)


def now() -> datetime:
    from vigil.clock import SystemClock

    return SystemClock().now()
