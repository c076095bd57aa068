"""Monitoring effectiveness, computed from stored alerts and incidents, never typed in.

Definitions (each figure says what it leaves out):
- true positive: an alert linked to an incident; false positive: an alert resolved as "not an issue";
  unclassified: neither (still open, or cleared without a verdict) — counted, not guessed.
- missed issue: an incident with no linked alert that started at or before its detection.
- alert effectiveness (the template's figure) = true positives / alerts triggered; precision = TP / (TP+FP);
  recall = incidents detected by an alert / incidents.
- time to detect = detected − impact started (incidents without an impact start are left out);
  acknowledge = acknowledged − detected; begin investigation = investigation began − detected;
  resolve = resolved − detected. Incidents that never reached a step are left out of that step's figures
  and counted as "excluded".
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.models import Alert
from vigil.incidents.models import Incident

_T = TypeVar("_T")

STEPS = {
    "detect": ("impact_started_at", "detected_at", "no impact start recorded"),
    "acknowledge": ("detected_at", "acknowledged_at", "never acknowledged"),
    "investigate": ("detected_at", "investigating_at", "investigation never began"),
    "resolve": ("detected_at", "resolved_at", "not resolved"),
}


@dataclass(frozen=True)
class Durations:
    step: str
    minutes: list[float]
    excluded: int
    excluded_because: str

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.minutes) if self.minutes else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.minutes) if self.minutes else None


@dataclass(frozen=True)
class Effectiveness:
    scope: str
    alerts: int
    true_positives: int
    false_positives: int
    unclassified: int
    incidents: int
    detected_by_alert: int
    missed: int
    times: dict[str, Durations] = field(default_factory=dict)

    @property
    def effectiveness_pct(self) -> float | None:
        return 100.0 * self.true_positives / self.alerts if self.alerts else None

    @property
    def precision_pct(self) -> float | None:
        judged = self.true_positives + self.false_positives
        return 100.0 * self.true_positives / judged if judged else None

    @property
    def recall_pct(self) -> float | None:
        return 100.0 * self.detected_by_alert / self.incidents if self.incidents else None


def compute(scope: str, alerts: Iterable[Alert], incidents: Iterable[Incident]) -> Effectiveness:
    alerts, incidents = list(alerts), list(incidents)
    alerted = {a.incident_id for a in alerts if a.incident_id is not None}
    first_alert: dict[int, datetime] = {}
    for a in alerts:
        if a.incident_id is not None:
            first_alert[a.incident_id] = min(first_alert.get(a.incident_id, a.started_at), a.started_at)
    tp = sum(1 for a in alerts if a.incident_id is not None)
    fp = sum(1 for a in alerts if a.incident_id is None and a.resolution == "not_an_issue")
    caught = sum(1 for i in incidents if i.id in first_alert and first_alert[i.id] <= i.detected_at)
    missed = sum(1 for i in incidents if i.id not in alerted or first_alert[i.id] > i.detected_at)
    return Effectiveness(
        scope,
        len(alerts),
        tp,
        fp,
        len(alerts) - tp - fp,
        len(incidents),
        caught,
        missed,
        {step: durations(step, incidents) for step in STEPS},
    )


def durations(step: str, incidents: Iterable[Incident]) -> Durations:
    start_field, end_field, because = STEPS[step]
    minutes, excluded = [], 0
    for incident in incidents:
        start, end = getattr(incident, start_field), getattr(incident, end_field)
        if start is None or end is None:
            excluded += 1
            continue
        minutes.append((end - start).total_seconds() / 60)
    return Durations(step, minutes, excluded, because)


def for_release(session: Session, release_id: int) -> Effectiveness:
    alerts = session.scalars(select(Alert).where(Alert.release_id == release_id))
    incidents = session.scalars(select(Incident).where(Incident.release_id == release_id))
    return compute("release", alerts, incidents)


def breakdown(session: Session, release_id: int | None = None) -> dict[str, list[Effectiveness]]:
    """The same figures per incident severity, per alert rule and per release (all releases if None)."""
    aq, iq = select(Alert), select(Incident)
    if release_id is not None:
        aq, iq = aq.where(Alert.release_id == release_id), iq.where(Incident.release_id == release_id)
    alerts, incidents = list(session.scalars(aq)), list(session.scalars(iq))
    by_id = {i.id: i for i in incidents}
    out: dict[str, list[Effectiveness]] = {"all": [compute("all", alerts, incidents)]}
    out["severity"] = [
        compute(sev, [a for a in alerts if a.incident_id in {i.id for i in group}], group)
        for sev, group in _group(incidents, lambda i: i.severity).items()
    ]
    rule_groups = _group(alerts, lambda a: a.rule)
    out["rule"] = [
        compute(
            rule,
            group,
            {by_id[a.incident_id].id: by_id[a.incident_id] for a in group if a.incident_id in by_id}.values(),
        )
        for rule, group in rule_groups.items()
    ]
    release_ids = sorted({a.release_id for a in alerts} | {i.release_id for i in incidents}, key=str)
    out["release"] = [
        compute(
            str(rid),
            [a for a in alerts if a.release_id == rid],
            [i for i in incidents if i.release_id == rid],
        )
        for rid in release_ids
    ]
    return out


def _group(items: Iterable[_T], key: Callable[[_T], str]) -> dict[str, list[_T]]:
    groups: dict[str, list[_T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return dict(sorted(groups.items()))
