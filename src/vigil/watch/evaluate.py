"""Evaluate one checkpoint: read every metric, judge it, decide, and store it all in one transaction.

Idempotent by construction: a checkpoint that is already stored is returned as it is, and if two
evaluators race, the unique key (release, checkpoint) lets exactly one insert win.

Nothing is evaluated before it is due: this is the one place every entry point (the watch loop, the CLI,
the API) goes through, so the refusal is here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.analysis import CheckpointDecision, MetricJudgement, decide, judge
from vigil.analysis.canary_step import Window, fold
from vigil.analysis.count_limits import judge_counts
from vigil.analysis.data_quality import window_problem
from vigil.analysis.kayenta_step import judge_for_plan
from vigil.analysis.traffic import Shares, cohort_shares, judge_volume
from vigil.errors import NotDue, NotFound, SourceError
from vigil.metrics.base import Series
from vigil.metrics.registry import SourceSet, expected_samples
from vigil.plan import Plan, format_offset, parse_duration
from vigil.plan.schema import Metric
from vigil.releases.models import Release
from vigil.releases.service import SYSTEM_ACTOR, get_release, plan_of
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.watch.baselines import BaselineReader, PreviousRelease, previous_release
from vigil.watch.budgets import Measured, measure_budgets, store_budgets, with_fast_burn
from vigil.watch.models import Checkpoint, Decision, MetricReading, RollbackEvent, RollbackState
from vigil.watch.outages import on_source_unavailable
from vigil.watch.work import queue_work
from vigil.watch.work_models import WorkKind


@dataclass(frozen=True)
class Outcome:
    checkpoint_id: int
    name: str
    created: bool
    health: str | None
    go_no_go: str | None
    rollback_decided: bool


def evaluate_checkpoint(store: Store, release_ref: str | int, name: str, now: datetime,
                        actor: str = SYSTEM_ACTOR) -> Outcome:
    with store.read() as session:
        release = get_release(session, release_ref)
        plan = plan_of(release)
        offset = _offset_in_plan(plan, name)
        existing = _stored(session, release.id, format_offset(offset))
        if existing is not None:
            return _outcome(existing, created=False)
        _refuse_if_not_due(release, offset, now)
        rollback = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release.id))
        rolled_back_after = rollback.checkpoint.name if rollback is not None else None
        history = _history(session, release.id, offset)
        previous = previous_release(session, release) if plan.baseline == "previous_release" else None
    if rolled_back_after is not None:
        return _store_skipped(store, release, offset, now, rolled_back_after, actor)
    window_end = release.started_at + offset  # never later than now: it is due
    window_start = window_end - plan.evaluation_window
    read = _judge_all(plan, release, offset, window_start, window_end, history, previous)
    judgements, unavailable = judge_counts(plan, read.judgements, read.windows, read.traffic), read.unavailable
    canary = None
    if read.windows and plan.canary.enabled and plan.baseline == "concurrent":
        # vigil's judge (volume metrics compared per full traffic), or Kayenta's rules (judge: kayenta)
        canary = judge_for_plan(plan, read.windows, read.traffic)
        judgements = fold(judgements, canary)
    previous_healths = [c.decision.health for c in history if c.decision is not None]
    decision = decide(judgements, {m.name: m for m in plan.metrics}, plan.rollback, previous_healths, canary)
    # SLO error budgets up to the due time, and the plan's rollback on a fast burn (docs/slo.md).
    budgets = measure_budgets(plan, release.started_at, window_end)
    decision = with_fast_burn(decision, plan, budgets)
    return _store_evaluated(store, release, plan, offset, now, window_start, window_end, judgements,
                            decision, actor, unavailable, budgets)


def _refuse_if_not_due(release: Release, offset: timedelta, now: datetime) -> None:
    """A window that ends after ``now`` has not happened: judging it would store a verdict on data that
    does not exist yet, and the unique key would keep that verdict for good."""
    due = release.started_at + offset
    if now < due:
        raise NotDue(format_offset(offset), due.isoformat(), now.isoformat())


def _offset_in_plan(plan: Plan, name: str) -> timedelta:
    try:
        offset = parse_duration(name)
    except ValueError as exc:
        raise NotFound(str(exc)) from None
    if offset not in plan.checkpoints:
        raise NotFound(f"checkpoint {name} is not in this release's plan ({', '.join(plan.checkpoint_names())})")
    return offset


def _stored(session: Session, release_id: int, name: str) -> Checkpoint | None:
    return session.scalar(select(Checkpoint).where(Checkpoint.release_id == release_id, Checkpoint.name == name))


def _history(session: Session, release_id: int, before: timedelta) -> list[Checkpoint]:
    query = (select(Checkpoint)
             .where(Checkpoint.release_id == release_id, Checkpoint.offset_seconds < before.total_seconds(),
                    Checkpoint.state == "evaluated")
             .order_by(Checkpoint.offset_seconds))
    checkpoints = list(session.scalars(query))
    for checkpoint in checkpoints:  # load while the session is open
        _ = checkpoint.decision, checkpoint.readings
    return checkpoints


@dataclass(frozen=True)
class _Read:
    """What a checkpoint read: every metric's threshold judgement; the metrics whose source could not
    answer (with why); each metric's raw (baseline, new) window for the canary judge, or why it is none
    (empty at T+0, which has no new version to compare); volume metrics' traffic shares."""

    judgements: list[MetricJudgement]
    unavailable: dict[str, str]
    windows: dict[str, Window]
    traffic: dict[str, Shares]


def _judge_all(plan: Plan, release: Release, offset: timedelta, start: datetime, end: datetime,
               history: list[Checkpoint], previous: PreviousRelease | None) -> _Read:
    """Read and judge every metric of the checkpoint.

    A window that is not evidence (too few real values, or values the metric cannot take) is "no data"
    for its metric, and the canary judge gets the reason instead of the samples: it never decides. A
    volume metric is judged per full traffic (``analysis.traffic``)."""
    sources = SourceSet(plan)
    baselines = BaselineReader(plan, sources, release.started_at, previous)
    read = _Read([], {}, {}, {})
    before = {r.metric: r.current for r in history[-1].readings} if history else {}
    initial = offset == timedelta(0)
    for metric in plan.metrics:
        source = sources.for_metric(metric)
        try:
            if initial:
                # T+0: the service's initial state (nothing runs the new version yet), limits only.
                state = source.fetch(metric, "baseline", start, end)
                problem = _not_evidence(plan, metric, {"window": (state, end - start)})
                read.judgements.append(judge(metric, state, None, None, not_evidence=problem))
                continue
            new = source.fetch(metric, "new", start, end)
            base = baselines.fetch(metric, format_offset(offset), start, end)
            problem = _not_evidence(plan, metric, {"new version's window": (new, end - start),
                                                   "baseline's window": (base, baselines.span(start, end))})
            if problem is not None:
                read.windows[metric.name] = problem
                read.judgements.append(judge(metric, Series.empty(), None, before.get(metric.name),
                                             not_evidence=problem))
                continue
            since = source.fetch(metric, "new", release.started_at, end) if metric.leak_check else None
            shares = cohort_shares(plan, metric, release.started_at, offset, previous.plan if previous else None)
            read.judgements.append(judge_volume(metric, new, base, before.get(metric.name), since, shares))
            read.windows[metric.name] = (base, new)
            if shares is not None:
                read.traffic[metric.name] = shares
        except SourceError as exc:
            read.unavailable[metric.name] = str(exc)
            if not initial:
                read.windows[metric.name] = str(exc)
            read.judgements.append(judge(metric, Series.empty(), None, before.get(metric.name),
                                         unavailable=str(exc)))
    return read


def _not_evidence(plan: Plan, metric: Metric, windows: dict[str, tuple[Series, timedelta]]) -> str | None:
    """The first of the named windows (samples, span) that is not evidence, and why; None if all are."""
    spec = plan.source_of(metric)
    for what, (series, span) in windows.items():
        problem = window_problem(metric, series, expected_samples(spec, span), plan.min_coverage)
        if problem is not None:
            return f"{problem} ({what})"
    return None


def _store_evaluated(store: Store, release: Release, plan: Plan, offset: timedelta, now: datetime,
                     start: datetime, end: datetime, judgements: list[MetricJudgement],
                     decision: CheckpointDecision, actor: str, unavailable: dict[str, str],
                     budgets: list[Measured]) -> Outcome:
    name = format_offset(offset)
    try:
        with store.write() as session:
            checkpoint = Checkpoint(
                release_id=release.id, name=name, offset_seconds=int(offset.total_seconds()),
                due_at=release.started_at + offset, evaluated_at=now, state="evaluated",
                traffic_percent=plan.traffic_percent(offset), window_start=start, window_end=end, note="")
            checkpoint.readings = [_reading(i, j) for i, j in enumerate(judgements)]
            checkpoint.decision = Decision(health=decision.health, go_no_go=decision.go_no_go,
                                           confidence=decision.confidence, risk=decision.risk,
                                           recommendation=decision.recommendation, reasons=decision.reasons)
            session.add(checkpoint)
            session.flush()
            audit(session, at=now, actor=actor, action="checkpoint.evaluated", entity="checkpoint",
                  entity_id=checkpoint.id, release_id=release.id,
                  payload={"name": name, "health": decision.health, "go_no_go": decision.go_no_go,
                           "reasons": decision.reasons})
            store_budgets(session, checkpoint, budgets, now, actor)  # SLOs (docs/slo.md)
            if unavailable:
                on_source_unavailable(session, release_id=release.id, checkpoint=checkpoint,
                                      errors=unavailable, now=now)
            if plan.smoke.at_checkpoints and plan.smoke.checks:  # done by the checkpoint's round, once
                queue_work(session, release.id, WorkKind.SMOKE, name, now)
            if decision.go_no_go == "rollback" and decision.rollback_reason:
                _decide_rollback(session, release, plan, checkpoint, judgements, decision.rollback_reason,
                                 now)
            return _outcome(checkpoint, created=True)
    except IntegrityError:
        # Another evaluator stored this checkpoint first; theirs stands and ours was rolled back whole.
        with store.read() as session:
            existing = _stored(session, release.id, name)
            if existing is None:
                raise
            return _outcome(existing, created=False)


def _decide_rollback(session: Session, release: Release, plan: Plan, checkpoint: Checkpoint,
                     judgements: list[MetricJudgement], reason: str, now: datetime) -> None:
    policy = plan.rollback
    maker = policy.decision_maker.name if policy.decision_maker else plan.people.release_owner.name
    event = RollbackEvent(
        release_id=release.id, checkpoint_id=checkpoint.id, decided_at=now, reason=reason,
        decision_maker=f"vigil on behalf of {maker}" if policy.automatic else maker,
        decision_role=policy.decision_maker_role, method="automatic" if policy.automatic else "manual",
        metrics_at_decision={j.metric: {"label": j.label, "value": j.current, "baseline": j.baseline,
                                        "unit": j.unit, "status": j.status} for j in judgements},
        state=RollbackState.DECIDED, action=policy.action.command or policy.action.webhook or "")
    session.add(event)
    stored = session.get(Release, release.id)
    assert stored is not None
    stored.status = "rolling_back"
    session.flush()
    audit(session, at=now, actor=SYSTEM_ACTOR, action="rollback.decided", entity="rollback",
          entity_id=event.id, release_id=release.id,
          payload={"checkpoint": checkpoint.name, "reason": reason, "method": event.method})


def _store_skipped(store: Store, release: Release, offset: timedelta, now: datetime,
                   rolled_back_after: str, actor: str) -> Outcome:
    name = format_offset(offset)
    due = release.started_at + offset
    try:
        with store.write() as session:
            checkpoint = Checkpoint(
                release_id=release.id, name=name, offset_seconds=int(offset.total_seconds()), due_at=due,
                evaluated_at=now, state="skipped", traffic_percent=0.0, window_start=due, window_end=due,
                note=f"Not evaluated: the release was rolled back at {rolled_back_after}.")
            session.add(checkpoint)
            session.flush()
            audit(session, at=now, actor=actor, action="checkpoint.skipped", entity="checkpoint",
                  entity_id=checkpoint.id, release_id=release.id, payload={"name": name})
            return _outcome(checkpoint, created=True)
    except IntegrityError:
        with store.read() as session:
            existing = _stored(session, release.id, name)
            assert existing is not None
            return _outcome(existing, created=False)


def _reading(position: int, j: MetricJudgement) -> MetricReading:
    return MetricReading(position=position, metric=j.metric, label=j.label, unit=j.unit, current=j.current,
                         baseline=j.baseline, change_abs=j.change_abs, change_pct=j.change_pct, trend=j.trend,
                         status=j.status, reason=j.reason, details=j.details)


def _outcome(checkpoint: Checkpoint, created: bool) -> Outcome:
    decision = checkpoint.decision
    return Outcome(checkpoint.id, checkpoint.name, created, decision.health if decision else None,
                   decision.go_no_go if decision else None,
                   bool(decision and decision.go_no_go == "rollback"))
