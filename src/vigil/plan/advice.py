"""Warnings about a plan that is valid but will not do what its author probably expects.

A ``PlanError`` refuses a plan; advice lets it through and says, with the same file:line: field, what to
change: volume metrics (throughput, counts) on a partial rollout, which are compared per full traffic;
and anomaly rules: a ``window`` holding too few samples for the detector to learn
from, at the sample spacing known from the plan (the simulator's, or a Prometheus source's ``step``; a file
source's spacing is only known from its data), a ``for`` the detector's one-sample alarms never meet, and a
critical rule left at the sensitivity that is tuned for NAB, not for paging.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from vigil.errors import located
from vigil.plan.alerting import AlertRule
from vigil.plan.loader import line_of, parse_yaml
from vigil.plan.schema import Metric, Plan


@dataclass(frozen=True)
class PlanWarning:
    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        return located(self.path, self.line, self.field, self.message)


def plan_warnings(plan: Plan, text: str, name: str) -> list[PlanWarning]:
    """Every warning for ``plan``, whose YAML is ``text`` read from ``name``."""
    data = None
    warnings = []
    for i, rule in enumerate(plan.alerting.rules):
        if rule.condition != "anomaly":
            continue
        for field, message in _anomaly_rule_advice(plan, rule):
            data = data if data is not None else parse_yaml(text, name)
            loc = ("alerting", "rules", i, field)
            warnings.append(PlanWarning(name, line_of(data, loc), ".".join(map(str, loc)), message))
    for i, metric in enumerate(plan.metrics):
        advice = _volume_advice(plan, metric)
        if advice is not None:
            data = data if data is not None else parse_yaml(text, name)
            where = ("metrics", i)
            warnings.append(PlanWarning(name, line_of(data, where), f"metrics.{i}", advice))
    return warnings


def _volume_advice(plan: Plan, metric: Metric) -> str | None:
    """A volume metric (throughput, counts, users) on a partial rollout: how it will be compared."""
    from vigil.analysis.traffic import partial_steps, scales_with_traffic

    steps = partial_steps(plan)
    relative = metric.thresholds.relative
    judged = not metric.muted or relative.warning is not None or relative.critical is not None
    if not steps or not judged or plan.source_of(metric).kind == "simulator":
        return None  # the simulator gives volumes at full traffic already
    shares = ", ".join(f"{p:g} %" for p in steps)
    if scales_with_traffic(metric):
        return (f"'{metric.name}' is a volume and the rollout runs the new version on part of the traffic "
                f"({shares}): each cohort's value is divided by its share before it is compared. That is right "
                f"when the query measures one cohort ($cohort); if it measures the whole service, set "
                f"scales_with_traffic: false")
    if metric.scales_with_traffic is False and metric.compare != "share":
        return (f"'{metric.name}' is compared as measured (scales_with_traffic: false) on a partial rollout "
                f"({shares}): if it is a per-cohort volume, the new version has less of it by design and a "
                f"relative limit reads that as a drop")
    return None


def _anomaly_rule_advice(plan: Plan, rule: AlertRule) -> Iterator[tuple[str, str]]:
    """(field, message) for each way ``rule`` will not do what it seems to."""
    from vigil.analysis.anomaly import samples_to_learn  # here: numpy is only needed when warnings are asked for
    from vigil.analysis.sensitivity import NOISE_ALARMS_PER_10K
    from vigil.metrics.registry import sample_spacing

    if rule.for_ > timedelta(0):
        # One event, one alarm: the score is high on the sample that shows the change, then familiar.
        yield ("for", f"an anomaly score stays above {rule.value:g} for one sample, so a rule that needs "
                      f"{rule.for_.total_seconds():g} s of it will hardly ever fire; leave 'for' out")
    if rule.severity == "critical" and rule.sensitivity == "high":
        high, low = (1e4 / NOISE_ALARMS_PER_10K[preset] for preset in ("high", "low"))
        yield ("severity", f"a critical anomaly rule at sensitivity 'high' (the default) also fires about once "
                           f"per {high:,.0f} samples of a metric that is only noise; for a rule that pages, set "
                           f"sensitivity: low (about once per {low:,.0f})")
    needed = samples_to_learn()
    metric = plan.metric(rule.metric)
    spacing = sample_spacing(plan.source_of(metric), rule.window / needed, rule.window)
    if spacing is not None and rule.window < needed * spacing:
        yield ("window", f"holds {int(rule.window / spacing)} samples of '{rule.metric}' at "
                         f"{spacing.total_seconds():g} s apart; the anomaly detector learns from {needed} (a window "
                         f"of at least {_hours(needed * spacing)}), and with fewer it scores lower and its shape "
                         "views stay silent")


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{span.total_seconds() / 60:.0f} min"
