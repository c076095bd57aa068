"""The monitoring log's SLO section: each SLO, its burn alerts, and its stored budget at each checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.burn import burn_rule_name
from vigil.alerts.models import Alert
from vigil.analysis.burn import describe, prom_duration
from vigil.plan import Plan
from vigil.releases.models import Release
from vigil.reports.formatting import Clockface
from vigil.watch.budgets import budgets_of
from vigil.watch.models import Checkpoint


@dataclass(frozen=True)
class BudgetRow:
    checkpoint: str
    slo: str
    good: str
    total: str
    bad: str
    burn_rate: str
    consumed: str
    remaining: str
    burning: str


def share(value: float | None) -> str:
    """A share of the budget as the log writes it (1.0 → ``100.00%``); None is no data."""
    return "no data" if value is None else f"{value * 100:.2f}%"


def count(value: float) -> str:
    return f"{value:,.0f}"


def slo_context(session: Session, release: Release, plan: Plan, clock: Clockface) -> dict[str, Any]:
    if not plan.slos:
        return {"slo": None}
    checkpoints = list(session.scalars(select(Checkpoint).where(Checkpoint.release_id == release.id)
                                       .order_by(Checkpoint.offset_seconds)))
    stored = budgets_of(session, [c.id for c in checkpoints])
    rows = []
    for checkpoint in checkpoints:
        for b in stored.get(checkpoint.id, []):
            has = b.consumed is not None
            rows.append(BudgetRow(
                checkpoint.name, b.slo, count(b.good) if has else "—", count(b.total) if has else "—",
                count(b.total - b.good) if has else "—",
                f"{b.burn_rate:.2f}×" if b.burn_rate is not None else "—", share(b.consumed),
                share(b.remaining) if has else b.note or "no data", "; ".join(b.burning) or "no"))
    names = {burn_rule_name(s, p) for s in plan.slos for p in s.alerts}
    alerts = [f"{a.rule} ({a.severity}, {clock.hm(a.started_at)}): {a.summary}" for a in session.scalars(
        select(Alert).where(Alert.release_id == release.id).order_by(Alert.started_at)) if a.rule in names]
    objectives = [f"{s.name}: {s.target:g}% of events good over {prom_duration(s.window)} "
                  f"(error budget {100 - s.target:.4g}% of events); alerts "
                  + ", ".join(f"{describe(p)} ({p.severity})" for p in s.alerts) for s in plan.slos]
    return {"slo": {"objectives": objectives, "rows": rows, "alerts": alerts}}
