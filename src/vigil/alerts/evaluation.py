"""Continuous rule evaluation for a release, called by the watch loop between checkpoints.

Each rule remembers how far it has been evaluated; a call evaluates everything since then in one pass
(``vigil.alerts.rules``), so a watcher on a jumping simulated clock and one waking every minute on the
wall clock fire the same alerts at the same sample times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.burn import BurnRule, burn_labels, burn_rules, burn_summary, observed_burn
from vigil.alerts.models import Alert, RuleState
from vigil.alerts.rules import RuleRun, Transition, evaluate, observed
from vigil.alerts.service import fire_alert, resolve_alert
from vigil.analysis.anomaly import samples_to_learn
from vigil.errors import SourceError
from vigil.metrics.base import Series
from vigil.metrics.registry import SourceSet
from vigil.plan.alerting import AlertRule
from vigil.plan.schema import Plan
from vigil.releases.models import Release
from vigil.releases.service import get_release, plan_of
from vigil.store import Store
from vigil.watch.models import RollbackEvent

PRE_DEPLOY = timedelta(hours=1)


def fingerprint(release_id: int, rule: str, nodata: bool = False) -> str:
    return f"rule/{release_id}/{rule}" + ("/nodata" if nodata else "")


def evaluate_rules(store: Store, release_id: int, now: datetime) -> int:
    """Evaluate every rule of the release up to ``now``; return how many transitions were applied."""
    with store.read() as session:
        release = get_release(session, release_id)
        plan = plan_of(release)
        if not (plan.alerting.rules or plan.slos) or now <= release.started_at:
            return 0
        states = {s.rule: s for s in session.scalars(select(RuleState).where(RuleState.release_id == release_id))}
        open_fps = set(
            session.scalars(
                select(Alert.fingerprint).where(Alert.release_id == release_id, Alert.open_key.is_not(None))
            )
        )
        rollback = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release_id))
        rolled_back_at = rollback.completed_at if rollback is not None and rollback.state == "completed" else None
    sources = SourceSet(plan, rolled_back_at=rolled_back_at)
    work: list[tuple[AlertRule, Transition]] = []
    runs: dict[str, tuple[RuleRun, datetime]] = {}
    burns = {b.rule.name: b for b in burn_rules(plan)}  # SLO burn-rate rules (docs/slo.md)
    for rule in [*plan.alerting.rules, *(b.rule for b in burns.values())]:
        stored = states.get(rule.name)
        since = stored.evaluated_until if stored else release.started_at
        if since >= now:
            continue
        run = RuleRun(
            pending_since=_epoch(stored.pending_since) if stored else None,
            firing=fingerprint(release_id, rule.name) in open_fps,
            nodata_firing=fingerprint(release_id, rule.name, True) in open_fps,
            last_sample_at=_epoch(stored.last_sample_at) if stored else None,
        )
        if rule.name in burns:
            series = observed_burn(release.started_at, sources, burns[rule.name], since, now)
        else:
            series = _observed(plan, release, sources, rule, since, now)
        transitions, run = evaluate(rule, series, run, since.timestamp(), now.timestamp())
        work += [(rule, t) for t in transitions]
        runs[rule.name] = (run, now)
    if not runs:
        return 0
    with store.write() as session:
        # Another watcher may have evaluated these rules meanwhile (the write lock serialises us): if any
        # rule moved on since we read it, drop this pass; the next tick starts from the stored state.
        current = {
            s.rule: s.evaluated_until
            for s in session.scalars(select(RuleState).where(RuleState.release_id == release_id))
        }
        if any(current.get(name) != (states[name].evaluated_until if name in states else None) for name in runs):
            return 0
        for rule, transition in sorted(work, key=lambda item: item[1].at):
            _apply(session, release, plan, rule, transition, burns.get(rule.name))
        for name, (run, until) in runs.items():
            _save_state(session, release_id, name, run, until)
    return len(work)


def _observed(
    plan: Plan, release: Release, sources: SourceSet, rule: AlertRule, since: datetime, now: datetime
) -> Series:
    metric = plan.metric(rule.metric)
    source = sources.for_metric(metric)
    start = since - rule.window if rule.condition in {"rate", "anomaly"} else since
    # The detector learns from the samples of its window, so it asks for enough of them to learn from.
    step = rule.window / samples_to_learn() if rule.condition == "anomaly" else None
    try:
        new = source.fetch(metric, "new", start, now, step)
        baseline: Series | float | None = None
        if rule.condition == "relative":
            if plan.baseline == "concurrent":
                baseline = source.fetch(metric, "baseline", start, now)
            else:
                before = source.fetch(metric, "baseline", release.started_at - PRE_DEPLOY, release.started_at)
                finite = before.finite()
                baseline = float(finite.values.mean()) if len(finite) else None
    except SourceError:
        return Series.empty()  # no data: the rule's no-data policy decides, never "healthy"
    return observed(rule, new, baseline)


def _apply(session: Session, release: Release, plan: Plan, rule: AlertRule, transition: Transition,
           burn: BurnRule | None = None) -> None:
    at = datetime.fromtimestamp(transition.at, UTC)
    nodata = transition.kind.startswith("nodata")
    fp = fingerprint(release.id, rule.name, nodata)
    if transition.kind in {"fire", "nodata_fire"}:
        summary = burn_summary(burn, transition) if burn else _summary(rule, plan.metric(rule.metric).label,
                                                                         transition, nodata)
        fire_alert(
            session,
            release_id=release.id,
            rule=rule.name,
            severity=rule.severity,
            fingerprint=fp,
            summary=summary,
            now=at,
            source="rule",
            labels={
                "rule": rule.name,
                "metric": rule.metric,
                "service": release.service,
                "release": release.slug,
                "condition": rule.condition,
                **(burn_labels(burn) if burn else {}),
            },
        )
    else:
        resolve_alert(session, fingerprint=fp, now=at)


def _summary(rule: AlertRule, label: str, transition: Transition, nodata: bool) -> str:
    if nodata:
        return f"{label}: no data for {_mins(rule.no_data_after)} ({rule.name})"
    if rule.summary:
        return rule.summary
    what = {"threshold": label, "relative": f"{label} vs baseline (%)", "rate": f"{label} change per hour",
            "anomaly": f"{label} anomaly score"}
    value = f"{transition.value:.2f}" if transition.value is not None else "n/a"
    return f"{what[rule.condition]} {rule.op} {rule.value:g} for {_mins(rule.for_)}: now {value} ({rule.name})"


def _mins(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:g} min"


def _save_state(session: Session, release_id: int, rule: str, run: RuleRun, until: datetime) -> None:
    state = session.scalar(select(RuleState).where(RuleState.release_id == release_id, RuleState.rule == rule))
    if state is None:
        state = RuleState(release_id=release_id, rule=rule, evaluated_until=until)
        session.add(state)
    state.evaluated_until = until
    state.pending_since = _dt(run.pending_since)
    state.last_sample_at = _dt(run.last_sample_at)


def _epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None
