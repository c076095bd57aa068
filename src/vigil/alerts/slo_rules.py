"""The plan's SLOs as a Prometheus rules file: recording rules per window, one alert per burn pair.

For teams that keep alerting in Prometheus: the same pairs, factors and traffic guard vigil evaluates,
written as rules ``promtool check rules`` accepts. ``$cohort`` in a query becomes the new version's label
value of the SLO's source (its ``cohorts.new``), so the rules watch what vigil watches.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from ruamel.yaml import YAML

from vigil.analysis.burn import describe, prom_duration, rate_query
from vigil.metrics.config import prometheus_options
from vigil.plan.schema import Plan
from vigil.plan.slo import SLO, BurnWindow

ALERT = "ErrorBudgetBurn"


def error_record(window: timedelta) -> str:
    return f"slo:sli_error:ratio_rate{prom_duration(window)}"


def total_record(window: timedelta) -> str:
    return f"slo:sli_total:rate{prom_duration(window)}"


def rules_document(plan: Plan) -> dict[str, Any]:
    return {"groups": [_group(plan, slo) for slo in plan.slos]}


def rules_yaml(plan: Plan) -> str:
    yaml = YAML(typ="rt")  # keeps each rule's keys in the order written (record/alert first)
    yaml.representer.ignore_aliases = lambda *_: True  # every rule spelt out, no &id001 anchors
    yaml.width = 4096  # PromQL stays on one line
    out = io.StringIO()
    yaml.dump(rules_document(plan), out)
    return out.getvalue()


def _group(plan: Plan, slo: SLO) -> dict[str, Any]:
    good, total = (_for_new_version(plan, slo, q) for q in (slo.sli.good_query(), slo.sli.total_query()))
    windows = sorted({w for pair in slo.alerts for w in (pair.long, pair.short)})
    labels = {"slo": slo.name, "service": plan.release.service}
    rules: list[dict[str, Any]] = []
    for window in windows:
        w = prom_duration(window)
        rules.append({"record": error_record(window),
                      "expr": f"1 - ({rate_query(good, w)}) / ({rate_query(total, w)})", "labels": dict(labels)})
        rules.append({"record": total_record(window), "expr": rate_query(total, w), "labels": dict(labels)})
    rules += [_alert(slo, pair, labels) for pair in slo.alerts]
    return {"name": f"slo-{slo.name}", "rules": rules}


def _alert(slo: SLO, pair: BurnWindow, labels: dict[str, str]) -> dict[str, Any]:
    select = f'{{slo="{slo.name}"}}'
    limit = f"{pair.factor:g} * {slo.allowed:.10g}"
    parts = [f"{error_record(w)}{select} >= ({limit})" for w in (pair.long, pair.short)]
    if slo.min_events > 0:  # the traffic guard: events in each window = rate × seconds
        parts += [f"{total_record(w)}{select} * {w.total_seconds():g} >= {slo.min_events:g}"
                  for w in (pair.long, pair.short)]
    return {
        "alert": ALERT,
        "expr": " and ".join(f"({p})" for p in parts),
        "labels": {**labels, "severity": pair.severity, "long_window": prom_duration(pair.long),
                   "short_window": prom_duration(pair.short)},
        "annotations": {"summary": f"SLO {slo.name} ({slo.target:g}% over {prom_duration(slo.window)}): "
                                   f"error budget burning at {describe(pair)}"},
    }


def _for_new_version(plan: Plan, slo: SLO, query: str) -> str:
    source = next(s for s in plan.all_sources() if s.name == (slo.source or plan.source.name))
    label = prometheus_options(source.options).cohorts.new if source.kind == "prometheus" else "new"
    return query.replace("${cohort}", label).replace("$cohort", label)
