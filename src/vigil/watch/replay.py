"""Replay a monitoring plan over recorded series: what each checkpoint would have decided, and when.

Every source of the plan is swapped for a file source reading the data directory (``<metric>.csv`` and
friends, see ``vigil.metrics.files``), keeping the plan's cohort names. The release is registered in a
throwaway store (or the one given), and each checkpoint is evaluated at its due time on a manual clock,
exactly as the watch would; a decided rollback is recorded but its action is never run.

The plan's alert rules are evaluated over the same recorded series (one catch-up pass up to the last
checkpoint). The result is one list of events in time order: checkpoint verdicts (kind "checkpoint") and
alert firings (kind "alert", with when they would have cleared).
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from sqlalchemy import select

from vigil.alerts.evaluation import evaluate_rules
from vigil.alerts.models import Alert
from vigil.errors import VigilError
from vigil.plan import Plan, format_offset, parse_plan
from vigil.releases.service import create_release, slug_for, unique_slug
from vigil.store import Store
from vigil.watch.evaluate import evaluate_checkpoint
from vigil.watch.models import Checkpoint


@dataclass(frozen=True)
class Breach:
    metric: str
    label: str
    unit: str
    status: str  # warning | critical | no_data
    value: float | None
    baseline: float | None
    reason: str


@dataclass(frozen=True)
class ReplayEvent:
    kind: str  # "checkpoint" or "alert"
    name: str  # the checkpoint, e.g. T+2h (or the alert rule's name)
    at: datetime  # when it would have happened
    health: str | None
    decision: str  # continue | hold | rollback | skipped; for alerts: fired
    breaches: list[Breach] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class ReplayResult:
    release: str
    data: str
    events: list[ReplayEvent]

    @property
    def rollback_at(self) -> str | None:
        return next((e.name for e in self.events if e.decision == "rollback"), None)

    def to_json(self) -> dict[str, Any]:
        return {"release": self.release, "data": self.data, "rollback_at": self.rollback_at,
                "events": [{**asdict(e), "at": e.at.isoformat()} for e in self.events]}


def with_file_sources(text: str, name: str, data: Path) -> tuple[Plan, str]:
    """The plan's text with every source reading ``data`` instead (cohort names kept)."""
    if not data.is_dir():
        raise VigilError(f"replay data directory {data} does not exist")
    parse_plan(text, name)  # report the plan's own errors against its own lines first
    yaml = YAML(typ="rt")
    tree = yaml.load(text)
    sources = [tree.get("source") or {}, *(tree.get("sources") or [])]
    replaced = [_file_source(spec, data) for spec in sources]
    tree["source"] = replaced[0]
    if len(replaced) > 1:
        tree["sources"] = replaced[1:]
    out = io.StringIO()
    yaml.dump(tree, out)
    new_text = out.getvalue()
    return parse_plan(new_text, name), new_text


def _file_source(spec: dict[str, Any], data: Path) -> dict[str, Any]:
    options = dict(spec.get("options") or {})
    kept = {k: options[k] for k in ("cohorts",) if k in options}
    return {"name": spec.get("name", "default"), "kind": "file", "path": str(data.resolve()), "options": kept}


def replay(store: Store, text: str, name: str, data: Path) -> ReplayResult:
    plan, replay_text = with_file_sources(text, name, data)
    release = create_release(store, plan, replay_text, name, now=plan.release.date,
                             slug=unique_slug(store, slug_for(plan) + "-replay"))
    for offset in plan.checkpoints:
        evaluate_checkpoint(store, release.id, format_offset(offset), release.started_at + offset)
    if plan.checkpoints:
        evaluate_rules(store, release.id, release.started_at + max(plan.checkpoints))
    with store.read() as session:
        checkpoints = list(session.scalars(select(Checkpoint).where(Checkpoint.release_id == release.id)
                                           .order_by(Checkpoint.offset_seconds)))
        alerts = list(session.scalars(select(Alert).where(Alert.release_id == release.id)))
        events = [_event(c) for c in checkpoints] + [_alert_event(a) for a in alerts]
    return ReplayResult(release.slug, str(data), sorted(events, key=lambda e: (e.at, e.kind != "checkpoint")))


def _alert_event(a: Alert) -> ReplayEvent:
    cleared = f"; would have cleared at {a.resolved_at:%Y-%m-%d %H:%M}" if a.resolved_at else "; still firing"
    return ReplayEvent("alert", a.rule, a.started_at, a.severity, "fired", note=f"{a.summary}{cleared}")


def _event(c: Checkpoint) -> ReplayEvent:
    d = c.decision
    if d is None:
        return ReplayEvent("checkpoint", c.name, c.due_at, None, "skipped", note=c.note)
    breaches = [Breach(r.metric, r.label, r.unit, r.status, r.current, r.baseline, r.reason)
                for r in c.readings if r.status != "ok"]
    return ReplayEvent("checkpoint", c.name, c.due_at, d.health, d.go_no_go, breaches, "; ".join(d.reasons))
