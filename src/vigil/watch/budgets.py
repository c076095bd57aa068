"""SLO budgets at a checkpoint: measured before its transaction, stored in it, and the fast-burn rollback.

``measure_budgets`` reads each SLO's events from the release start to the checkpoint's due time (never
later: nothing is decided before it is due); ``store_budgets`` writes them with the checkpoint and an
audit entry; ``with_fast_burn`` turns the decision into a rollback when the plan asks for it and a page
pair burns at the checkpoint.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.analysis import CheckpointDecision
from vigil.analysis.burn import Budget, budget_of, fetch_events, sli_metrics
from vigil.errors import SourceError
from vigil.metrics.registry import SourceSet
from vigil.plan.schema import Plan
from vigil.plan.slo import SLO
from vigil.store.audit import append as audit
from vigil.watch.budget_models import SloBudget
from vigil.watch.models import Checkpoint


@dataclass(frozen=True)
class Measured:
    budget: Budget
    note: str = ""  # why there is no data


def measure_budgets(plan: Plan, started_at: datetime, until: datetime) -> list[Measured]:
    if not plan.slos:
        return []
    sources = SourceSet(plan)
    out = []
    for slo in plan.slos:
        empty = Budget(slo.name, slo.target, slo.window.total_seconds(), 0.0, 0.0, 0.0, ())
        if until <= started_at:
            out.append(Measured(empty, "no traffic on the new version yet"))
            continue
        try:
            events = fetch_events(sources.for_metric(sli_metrics(slo)[1]), slo, started_at, until)
        except SourceError as exc:
            out.append(Measured(empty, f"no data: {exc}"))
            continue
        budget = budget_of(slo, events, until)
        out.append(Measured(budget, "" if budget.has_data else "no data: the source returned no SLI samples"))
    return out


def store_budgets(session: Session, checkpoint: Checkpoint, measured: list[Measured], now: datetime,
                  actor: str) -> None:
    if not measured:
        return
    for item in measured:
        b = item.budget
        session.add(SloBudget(checkpoint_id=checkpoint.id, slo=b.slo, target=b.target,
                              window_seconds=b.window_seconds, good=b.good, total=b.total,
                              measured_seconds=b.measured_seconds, consumed=b.consumed, remaining=b.remaining,
                              burn_rate=b.burn_rate, burning=list(b.burning), note=item.note))
    session.flush()
    audit(session, at=now, actor=actor, action="slo.budgets", entity="checkpoint", entity_id=checkpoint.id,
          release_id=checkpoint.release_id,
          payload={m.budget.slo: {"good": m.budget.good, "total": m.budget.total, "consumed": m.budget.consumed,
                                  "remaining": m.budget.remaining, "burning": list(m.budget.burning)}
                   for m in measured})


def budgets_of(session: Session, checkpoint_ids: list[int]) -> dict[int, list[SloBudget]]:
    """Stored budgets by checkpoint id, in the plan's SLO order (their insertion order)."""
    out: dict[int, list[SloBudget]] = {}
    query = select(SloBudget).where(SloBudget.checkpoint_id.in_(checkpoint_ids)).order_by(SloBudget.id)
    for row in session.scalars(query):
        out.setdefault(row.checkpoint_id, []).append(row)
    return out


def with_fast_burn(decision: CheckpointDecision, plan: Plan, measured: list[Measured]) -> CheckpointDecision:
    """Roll back when an SLO whose policy says so has a page pair burning at the checkpoint."""
    slos = {s.name: s for s in plan.slos}
    burning = [m.budget for m in measured if m.budget.burning and _rolls_back(slos[m.budget.slo], plan)]
    if not burning or decision.go_no_go == "rollback":
        return decision
    reason = "; ".join(f"SLO {b.slo} error budget burning at {' and at '.join(b.burning)}" for b in burning)
    # A budget burning this fast is critical whatever the point metrics say.
    return dataclasses.replace(decision, health="critical", go_no_go="rollback", recommendation="rollback", risk="high",
                               rollback_reason=f"fast burn: {reason}",
                               reasons=[*decision.reasons, f"Fast burn: {reason}; the plan rolls back on it."])


def _rolls_back(slo: SLO, plan: Plan) -> bool:
    return slo.rollback_on_fast_burn if slo.rollback_on_fast_burn is not None else plan.rollback.on_fast_burn
