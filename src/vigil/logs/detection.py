"""Log-based alert rules, as pure functions over the store returning ``LogSignal``s.

They decide nothing about alert lifecycles: the alert pipeline turns signals into alerts (deduplicated by
fingerprint). Two rules:
- error rate: minutes in the window whose error+fatal count exceeds a threshold;
- new error signatures after a release: templates (Drain) of error lines after the release started that
  never occurred in the service's logs during a baseline period before it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.logs.miner import TemplateMiner
from vigil.logs.models import LogRecord
from vigil.logs.search import LogFilter, per_minute

ERROR_LEVELS = ("error", "fatal")


@dataclass(frozen=True)
class LogSignal:
    rule: str
    severity: str  # "warning" or "critical"
    fingerprint: str
    summary: str
    first_seen: datetime
    samples: tuple[str, ...]
    service: str
    count: int
    release: str | None = None


def error_rate(session: Session, *, service: str, now: datetime, window: timedelta = timedelta(minutes=15),
               threshold_per_minute: int = 10, samples: int = 3) -> list[LogSignal]:
    """One signal when any minute of the last ``window`` had more error lines than the threshold."""
    flt = LogFilter(since=now - window, until=now, levels=ERROR_LEVELS, services=(service,))
    minutes: dict[datetime, int] = {}
    for row in per_minute(session, flt):
        minutes[row.minute] = minutes.get(row.minute, 0) + row.count
    hot = sorted(m for m, n in minutes.items() if n > threshold_per_minute)
    if not hot:
        return []
    peak = max(minutes[m] for m in hot)
    first = hot[0]
    lines = session.scalars(
        select(LogRecord.raw).where(LogRecord.service == service, LogRecord.level.in_(ERROR_LEVELS),
                                    LogRecord.ts >= first, LogRecord.ts < first + timedelta(minutes=1))
        .order_by(LogRecord.ts, LogRecord.id).limit(samples))
    return [LogSignal(
        rule="log-error-rate", severity="critical" if peak >= 2 * threshold_per_minute else "warning",
        fingerprint=_digest("log-error-rate", service), service=service, count=sum(minutes[m] for m in hot),
        summary=(f"{service}: {len(hot)} minute(s) over {threshold_per_minute} errors/min in the last "
                 f"{int(window.total_seconds() // 60)} min (peak {peak}/min)"),
        first_seen=first, samples=tuple(lines))]


def new_error_signatures(session: Session, *, service: str, release_started: datetime, now: datetime,
                         release: str | None = None, baseline: timedelta = timedelta(days=7),
                         baseline_cap: int = 200_000, samples: int = 3) -> list[LogSignal]:
    """Error templates first seen after ``release_started`` (none of their lines in the baseline)."""
    miner = TemplateMiner()
    seen_before: set[int] = set()
    base = (select(LogRecord.ts, LogRecord.message)
            .where(LogRecord.service == service, LogRecord.ts >= release_started - baseline,
                   LogRecord.ts < release_started)
            .order_by(LogRecord.ts.desc(), LogRecord.id.desc()).limit(baseline_cap))
    for _ts, message in reversed(session.execute(base).all()):
        seen_before.add(miner.add(message).id)
    after = (select(LogRecord.ts, LogRecord.level, LogRecord.message, LogRecord.raw)
             .where(LogRecord.service == service, LogRecord.ts >= release_started, LogRecord.ts < now)
             .order_by(LogRecord.ts, LogRecord.id))
    found: dict[int, _Seen] = {}
    for ts, level, message, raw in session.execute(after):
        cluster = miner.add(message)
        if cluster.id in seen_before or level not in ERROR_LEVELS:
            continue
        entry = found.setdefault(cluster.id, _Seen(first=ts))
        entry.count += 1
        entry.fatal = entry.fatal or level == "fatal"
        if len(entry.samples) < samples:
            entry.samples.append(raw)
    signals = []
    for cluster_id, entry in found.items():
        template = miner.clusters[cluster_id].text  # the final, most general form of the template
        signals.append(LogSignal(
            rule="log-new-error-signature", severity="critical" if entry.fatal else "warning",
            fingerprint=_digest("log-new-error-signature", service, template), service=service,
            release=release, count=entry.count, first_seen=entry.first, samples=tuple(entry.samples),
            summary=f"{service}: new error after the release ({entry.count}x): {template}"))
    return sorted(signals, key=lambda s: (s.first_seen, s.fingerprint))


@dataclass
class _Seen:
    first: datetime
    count: int = 0
    fatal: bool = False
    samples: list[str] = field(default_factory=list)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
