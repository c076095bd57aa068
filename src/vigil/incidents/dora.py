"""Classifying an incident against the DORA major-incident rules, and its reporting clocks.

The thresholds live in ``dora_thresholds.yaml``; this module only applies them. The facts (clients
affected, downtime, Member States, losses…) are recorded per incident; duration and downtime default to
what the incident's own clock says.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import VigilError
from vigil.incidents.models import Incident
from vigil.incidents.service import _audit, _event, get_incident
from vigil.plan.alerting import DoraFacts
from vigil.releases.models import Release
from vigil.releases.service import plan_of


class IncidentFacts(BaseModel):
    """What is known about an incident's impact, as DORA asks for it."""

    model_config = ConfigDict(extra="forbid")

    critical_service: bool | None = None  # None: take the plan's answer for the service
    malicious_access: bool = False
    clients_affected_count: int | None = Field(default=None, ge=0)
    clients_affected_percent: float | None = Field(default=None, ge=0, le=100)
    counterparts_affected_percent: float | None = Field(default=None, ge=0, le=100)
    transactions_affected_eur: float | None = Field(default=None, ge=0)
    transactions_affected_percent: float | None = Field(default=None, ge=0, le=100)
    duration_hours: float | None = Field(default=None, ge=0)
    downtime_hours: float | None = Field(default=None, ge=0)
    member_states: list[str] = []
    economic_impact_eur: float | None = Field(default=None, ge=0)
    flags: list[str] = Field(default=[], description="e.g. media_attention, integrity, relevant_clients_impacted")


@dataclass(frozen=True)
class CriterionResult:
    name: str
    label: str
    article: str
    met: bool
    because: str


@dataclass(frozen=True)
class Classification:
    major: bool
    critical_service: bool
    malicious_access: bool
    criteria: list[CriterionResult]
    recurring_with: list[str] = field(default_factory=list)
    explanation: str = ""

    @property
    def met(self) -> list[CriterionResult]:
        return [c for c in self.criteria if c.met]


@dataclass(frozen=True)
class ReportClock:
    report: str  # initial | intermediate | final
    due_at: datetime | None
    sent_at: datetime | None
    state: str  # sent | overdue | due | waiting
    rule: str


@cache
def thresholds() -> dict[str, Any]:
    text = (resources.files("vigil.incidents") / "dora_thresholds.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = YAML(typ="safe").load(text)
    return data


def facts_with_clock(
    incident: Incident, facts: IncidentFacts, service: DoraFacts | None, now: datetime
) -> IncidentFacts:
    """Fill what the clock and the plan already know: duration, downtime, % of clients."""
    start = incident.impact_started_at or incident.detected_at
    end = incident.resolved_at or now
    update: dict[str, Any] = {}
    if facts.duration_hours is None:
        update["duration_hours"] = (end - start).total_seconds() / 3600
    if facts.downtime_hours is None:
        update["downtime_hours"] = ((incident.mitigated_at or end) - start).total_seconds() / 3600
    if (
        facts.clients_affected_percent is None
        and facts.clients_affected_count is not None
        and service
        and service.total_clients
    ):
        update["clients_affected_percent"] = 100.0 * facts.clients_affected_count / service.total_clients
    if (
        facts.transactions_affected_percent is None
        and facts.transactions_affected_eur is not None
        and service
        and service.average_daily_transactions_eur
    ):
        update["transactions_affected_percent"] = (
            100.0 * facts.transactions_affected_eur / service.average_daily_transactions_eur
        )
    if facts.critical_service is None:
        update["critical_service"] = bool(service and service.critical_service)
    return facts.model_copy(update=update)


def classify(facts: IncidentFacts, table: dict[str, Any] | None = None) -> Classification:
    rules = (table or thresholds())["classification"]
    inclusive = set(rules.get("inclusive", []))
    results = [_criterion(name, spec, facts, inclusive) for name, spec in rules["criteria"].items()]
    met = [r for r in results if r.met]
    critical = bool(facts.critical_service)
    needed = int(rules["min_thresholds_met"])
    major = critical and (facts.malicious_access or len(met) >= needed)
    if not critical:
        why = "not major: no critical or important function / authorised service was affected"
    elif facts.malicious_access:
        why = "major: critical services affected and a successful malicious unauthorised access"
    elif major:
        labels = ", ".join(r.label for r in met)
        why = f"major: critical services affected and {len(met)} thresholds met ({labels})"
    else:
        why = f"not major: critical services affected but only {len(met)} of the {needed} thresholds needed met"
    return Classification(major, critical, facts.malicious_access, results, explanation=why)


def _criterion(name: str, spec: dict[str, Any], facts: IncidentFacts, inclusive: set[str]) -> CriterionResult:
    reasons = []
    for key, limit in (spec.get("any_of") or {}).items():
        value = len(facts.member_states) if key == "member_states" else getattr(facts, key)
        if value is None:
            continue
        if value > limit or (key in inclusive and value >= limit):
            reasons.append(f"{key.replace('_', ' ')} {value:g} {'≥' if key in inclusive else '>'} {limit:g}")
    reasons += [flag.replace("_", " ") for flag in spec.get("flags", []) if flag in facts.flags]
    return CriterionResult(
        name,
        spec["label"],
        spec["article"],
        bool(reasons),
        "; ".join(reasons) or "below every threshold or not reported",
    )


def record_facts(session: Session, ref: str | int, facts: IncidentFacts, *, actor: str, now: datetime) -> Incident:
    """Store the facts, classify, and start the reporting clock the first time it is classified major."""
    incident = get_incident(session, ref)
    result = classify(facts_with_clock(incident, facts, _service_facts(session, incident), now))
    recurring = recurring_group(session, incident, facts, now)
    dora = dict(incident.dora or {})
    dora["facts"] = facts.model_dump(mode="json", exclude_none=True)
    dora["major"] = result.major or bool(recurring)
    dora["explanation"] = (
        result.explanation
        if not recurring
        else (f"major as a recurring incident (Art. 8(2)) together with {', '.join(recurring)}")
    )
    if dora["major"] and not dora.get("classified_at"):
        dora["classified_at"] = now.isoformat()
    incident.dora = dora
    if dora["major"]:
        incident.major = True  # a major ICT-related incident needs its RCA like any other major one
    _event(session, incident, now, actor, "dora", f"DORA classification: {dora['explanation']}")
    _audit(session, incident, now, actor, "incident.dora_classified", {"major": dora["major"]})
    return incident


def record_report_sent(
    session: Session, ref: str | int, report: str, at: datetime, *, actor: str, now: datetime
) -> Incident:
    incident = get_incident(session, ref)
    if report not in {"initial", "intermediate", "final"}:
        raise VigilError("report must be initial, intermediate or final")
    dora = dict(incident.dora or {})
    if not dora.get("major"):
        raise VigilError(f"{incident.ticket} is not classified as a major ICT-related incident")
    order = ["initial", "intermediate", "final"]
    sent = dict(dora.get("sent", {}))
    for earlier in order[: order.index(report)]:
        if earlier not in sent:
            raise VigilError(f"the {earlier} report has not been recorded as sent yet")
    sent[report] = at.isoformat()
    dora["sent"] = sent
    incident.dora = dora
    _event(session, incident, now, actor, "dora", f"DORA {report} report submitted")
    _audit(session, incident, now, actor, "incident.dora_report_sent", {"report": report, "at": at.isoformat()})
    return incident


def reporting_clocks(incident: Incident, now: datetime) -> list[ReportClock]:
    """The three reports of Delegated Regulation 2025/301 as due / overdue / sent / waiting."""
    dora = incident.dora or {}
    if not dora.get("major") or not dora.get("classified_at"):
        return []
    spec = thresholds()["reporting"]
    sent = {k: datetime.fromisoformat(v) for k, v in dora.get("sent", {}).items()}
    classified = datetime.fromisoformat(dora["classified_at"])
    initial_due = min(
        classified + timedelta(hours=spec["initial"]["after_classification_hours"]),
        incident.detected_at + timedelta(hours=spec["initial"]["after_detection_hours"]),
    )
    inter_due = (
        sent["initial"] + timedelta(hours=spec["intermediate"]["after_initial_hours"]) if "initial" in sent else None
    )
    final_due = (
        _add_months(sent["intermediate"], spec["final"]["after_intermediate_months"])
        if "intermediate" in sent
        else None
    )
    return [
        _clock(
            "initial",
            initial_due,
            sent.get("initial"),
            now,
            f"{spec['initial']['after_classification_hours']} h after classification, at most "
            f"{spec['initial']['after_detection_hours']} h after detection",
        ),
        _clock(
            "intermediate",
            inter_due,
            sent.get("intermediate"),
            now,
            f"{spec['intermediate']['after_initial_hours']} h after the initial notification",
        ),
        _clock(
            "final",
            final_due,
            sent.get("final"),
            now,
            f"{spec['final']['after_intermediate_months']} month after the intermediate report",
        ),
    ]


def recurring_group(session: Session, incident: Incident, facts: IncidentFacts, now: datetime) -> list[str]:
    """Art. 8(2): earlier non-major incidents with the same root cause within six months that, taken
    together with this one, meet the criteria. Returns their tickets (empty: not a recurring major)."""
    spec = thresholds()["classification"]["recurring"]
    if not incident.root_cause_category or not (incident.root_cause_change or incident.root_cause):
        return []
    since = incident.detected_at - timedelta(days=spec["window_days"])
    query = select(Incident).where(
        Incident.id != incident.id,
        Incident.detected_at >= since,
        Incident.detected_at <= incident.detected_at,
        Incident.root_cause_category == incident.root_cause_category,
    )
    same = [
        i
        for i in session.scalars(query)
        if (i.root_cause_change or i.root_cause) == (incident.root_cause_change or incident.root_cause)
        and not (i.dora or {}).get("major")
    ]
    if len(same) + 1 < spec["min_occurrences"]:
        return []
    total = _combine([IncidentFacts.model_validate((i.dora or {}).get("facts", {})) for i in same] + [facts])
    service = _service_facts(session, incident)
    combined = classify(facts_with_clock(incident, total, service, now))
    return [i.ticket for i in same] if combined.major else []


def _combine(all_facts: list[IncidentFacts]) -> IncidentFacts:
    def total(name: str) -> float | None:
        values = [getattr(f, name) for f in all_facts if getattr(f, name) is not None]
        return sum(values) if values else None

    return IncidentFacts(
        critical_service=any(f.critical_service for f in all_facts) or None,
        malicious_access=any(f.malicious_access for f in all_facts),
        clients_affected_count=int(total("clients_affected_count") or 0) or None,
        clients_affected_percent=min(100.0, total("clients_affected_percent") or 0) or None,
        transactions_affected_eur=total("transactions_affected_eur"),
        duration_hours=total("duration_hours"),
        downtime_hours=total("downtime_hours"),
        member_states=sorted({s for f in all_facts for s in f.member_states}),
        economic_impact_eur=total("economic_impact_eur"),
        flags=sorted({flag for f in all_facts for flag in f.flags}),
    )


def _service_facts(session: Session, incident: Incident) -> DoraFacts | None:
    release = session.get(Release, incident.release_id) if incident.release_id else None
    return plan_of(release).incidents.dora if release is not None else None


def _clock(report: str, due: datetime | None, sent: datetime | None, now: datetime, rule: str) -> ReportClock:
    if sent is not None:
        state = "sent late" if due is not None and sent > due else "sent"
    elif due is None:
        state = "waiting"
    else:
        state = "overdue" if now > due else "due"
    return ReportClock(report, due, sent, state, rule)


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
