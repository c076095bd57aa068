"""Burn-rate alert rules generated from the plan's SLOs, run by the same evaluator as the other rules.

Each SLO gives one rule per window pair. The rule's observed value at a sample is the burn rate both of
its windows exceed (``vigil.analysis.burn.pair_burn``), and the usual state machine fires it where that
reaches the pair's factor; ``for`` is zero because the short window already is the confirmation.
Windows never reach back before the release started: budget burnt before it is not the release's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vigil.alerts.rules import Transition
from vigil.analysis.burn import describe, fetch_events, pair_burn, prom_duration, sli_metrics
from vigil.errors import SourceError
from vigil.metrics.base import Series
from vigil.metrics.registry import SourceSet
from vigil.plan.alerting import AlertRule
from vigil.plan.schema import Plan
from vigil.plan.slo import SLO, BurnWindow

SEVERITY = {"page": "critical", "ticket": "warning"}


@dataclass(frozen=True)
class BurnRule:
    slo: SLO
    pair: BurnWindow
    rule: AlertRule  # what the shared state machine evaluates


def burn_rule_name(slo: SLO, pair: BurnWindow) -> str:
    return f"{slo.name}.burn.{prom_duration(pair.long)}-{prom_duration(pair.short)}"


def burn_rules(plan: Plan) -> list[BurnRule]:
    out = []
    for slo in plan.slos:
        for pair in slo.alerts:
            rule = AlertRule(name=burn_rule_name(slo, pair), metric=slo.name, condition="threshold", op=">=",
                             value=pair.factor, severity=SEVERITY[pair.severity], no_data="keep")
            out.append(BurnRule(slo, pair, rule))
    return out


def observed_burn(started_at: datetime, sources: SourceSet, burn: BurnRule, since: datetime,
                  now: datetime) -> Series:
    """The pair's burn at every sample in ``(since, now]``, with the long window's history before it."""
    start = max(started_at, since - burn.pair.long)
    try:
        events = fetch_events(sources.for_metric(sli_metrics(burn.slo)[1]), burn.slo, start, now)
    except SourceError:
        return Series.empty()  # no data: the alert holds its state, it never reads as a healthy zero
    return pair_burn(events, burn.pair, burn.slo)


def burn_summary(burn: BurnRule, transition: Transition) -> str:
    value = f"{transition.value:.1f}×" if transition.value is not None else "n/a"
    return (f"SLO {burn.slo.name} ({burn.slo.target:g}% over {prom_duration(burn.slo.window)}): error budget "
            f"burning at {value}, over {describe(burn.pair)} ({burn.pair.severity})")


def burn_labels(burn: BurnRule) -> dict[str, str]:
    return {"slo": burn.slo.name, "burn_severity": burn.pair.severity, "condition": "burn_rate",
            "long_window": prom_duration(burn.pair.long), "short_window": prom_duration(burn.pair.short),
            "factor": f"{burn.pair.factor:g}"}
