"""Import SLOs written in OpenSLO v1 YAML into the plan's ``slos`` section.

What is read: ``kind: SLO`` documents with ``spec.indicator`` (an inline SLI) or ``spec.indicatorRef``
(the name of a ``kind: SLI`` document in the same file), whose SLI is a ``ratioMetric`` of ``good`` (or
``bad``) and ``total`` Prometheus queries; one rolling ``spec.timeWindow``; one objective with ``target``
(0–1) or ``targetPercent``; budgeting by occurrences. Anything else is refused with the file, line and
field, never half-imported. Other OpenSLO kinds (Service, AlertPolicy…) in the file are skipped.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from vigil.errors import PlanError
from vigil.plan.durations import parse_duration
from vigil.plan.loader import line_of, validate_yaml
from vigil.plan.slo import SLI, SLO


class _Loose(BaseModel):
    # OpenSLO documents carry many fields vigil has no use for (labels, annotations, alert policies).
    model_config = ConfigDict(extra="ignore", frozen=True)


class Metadata(_Loose):
    name: str = Field(min_length=1)
    displayName: str = ""


class MetricSource(_Loose):
    type: str = ""
    spec: dict[str, Any]


class MetricRef(_Loose):
    metricSource: MetricSource


class RatioMetric(_Loose):
    counter: bool = True
    good: MetricRef | None = None
    bad: MetricRef | None = None
    total: MetricRef


class SLISpec(_Loose):
    description: str = ""
    ratioMetric: RatioMetric | None = None
    thresholdMetric: dict[str, Any] | None = None


class InlineSLI(_Loose):
    metadata: Metadata | None = None
    spec: SLISpec


class Objective(_Loose):
    displayName: str = ""
    target: float | None = Field(default=None, gt=0, lt=1)
    targetPercent: float | None = Field(default=None, gt=0, lt=100)


class TimeWindow(_Loose):
    duration: str
    isRolling: bool = True


class SLOSpec(_Loose):
    description: str = ""
    service: str = ""
    indicator: InlineSLI | None = None
    indicatorRef: str | None = None
    timeWindow: list[TimeWindow] = Field(min_length=1)
    budgetingMethod: str = "Occurrences"
    objectives: list[Objective] = Field(min_length=1)


class SLODocument(_Loose):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["SLO"]
    metadata: Metadata
    spec: SLOSpec


class SLIDocument(_Loose):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["SLI"]
    metadata: Metadata
    spec: SLISpec


def import_openslo(path: str | Path) -> list[SLO]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(str(path), None, "file", exc.strerror or str(exc)) from exc
    return parse_openslo(text, str(path))


def parse_openslo(text: str, name: str) -> list[SLO]:
    documents = _documents(text, name)
    slis = {d.metadata.name: (d.spec, raw, "spec") for raw, d in
            ((raw, validate_yaml(SLIDocument, raw, name, "SLI")) for raw in documents if _kind(raw) == "SLI")}
    slos = []
    for raw in documents:
        if _kind(raw) != "SLO":
            continue
        doc = validate_yaml(SLODocument, raw, name, "SLO")
        slos.append(_convert(doc, raw, name, slis))
    if not slos:
        raise PlanError(name, 1, "kind", "no 'kind: SLO' document (apiVersion: openslo/v1) in the file")
    return slos


def _documents(text: str, name: str) -> list[Any]:
    yaml = YAML(typ="rt")
    try:
        docs = [d for d in yaml.load_all(text) if d is not None]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PlanError(name, mark.line + 1 if mark else None, "yaml", (exc.problem or str(exc)).strip()) from None
    for doc in docs:
        if not isinstance(doc, dict):
            raise PlanError(name, 1, "document", "each OpenSLO document must be a mapping")
    return docs


def _kind(raw: Any) -> str | None:
    kind = raw.get("kind")
    return str(kind) if kind is not None else None


def _convert(doc: SLODocument, raw: Any, name: str, slis: dict[str, tuple[SLISpec, Any, str]]) -> SLO:
    def fail(loc: tuple[Any, ...], message: str, where: Any = raw) -> PlanError:
        return PlanError(name, line_of(where, loc), ".".join(str(p) for p in loc), message)

    spec = doc.spec
    base: tuple[str, ...]
    if spec.indicator is not None:
        sli, sli_raw, base = spec.indicator.spec, raw, ("spec", "indicator", "spec")
    elif spec.indicatorRef is not None:
        if spec.indicatorRef not in slis:
            raise fail(("spec", "indicatorRef"), f"no 'kind: SLI' document named '{spec.indicatorRef}' in the file")
        sli, sli_raw, _ = slis[spec.indicatorRef]
        base = ("spec",)
    else:
        raise fail(("spec",), "needs 'indicator' or 'indicatorRef'")
    if sli.ratioMetric is None:
        raise fail((*base, "thresholdMetric" if sli.thresholdMetric else "ratioMetric"),
                   "only ratioMetric indicators are imported (good or bad, and total)", sli_raw)
    ratio = sli.ratioMetric
    total = _query(ratio.total, (*base, "ratioMetric", "total"), fail, sli_raw)
    if ratio.good is not None:
        good = _query(ratio.good, (*base, "ratioMetric", "good"), fail, sli_raw)
    elif ratio.bad is not None:
        bad = _query(ratio.bad, (*base, "ratioMetric", "bad"), fail, sli_raw)
        # good = total - bad, as rates, so the SLI keeps vigil's good/total shape.
        good = f"sum(rate({total}[$window])) - sum(rate({bad}[$window]))"
    else:
        raise fail((*base, "ratioMetric"), "needs 'good' or 'bad' beside 'total'", sli_raw)
    if not ratio.counter:
        raise fail((*base, "ratioMetric", "counter"), "only counter queries are imported (counter: true)", sli_raw)
    if spec.budgetingMethod != "Occurrences":
        raise fail(("spec", "budgetingMethod"), "only Occurrences budgeting is imported")
    if len(spec.objectives) != 1:
        raise fail(("spec", "objectives"), "vigil takes one objective per SLO; split it into several SLOs")
    objective = spec.objectives[0]
    if (objective.target is None) == (objective.targetPercent is None):
        raise fail(("spec", "objectives", 0), "give exactly one of 'target' (0-1) and 'targetPercent'")
    target = objective.targetPercent if objective.targetPercent is not None else 100 * (objective.target or 0)
    if len(spec.timeWindow) != 1 or not spec.timeWindow[0].isRolling:
        raise fail(("spec", "timeWindow"), "vigil takes one rolling time window (isRolling: true)")
    try:
        window = parse_duration(spec.timeWindow[0].duration)
    except ValueError as exc:
        raise fail(("spec", "timeWindow", 0, "duration"), str(exc)) from None
    try:
        return SLO(name=doc.metadata.name.lower(), description=spec.description or doc.metadata.displayName,
                   sli=SLI(good=good, total=total), target=round(target, 10), window=window)
    except ValueError as exc:
        raise fail(("metadata", "name"), f"cannot be used as a vigil SLO: {exc}") from None


def _query(ref: MetricRef, loc: tuple[Any, ...], fail: Any, raw: Any) -> str:
    query = ref.metricSource.spec.get("query")
    if not isinstance(query, str) or not query.strip():
        raise fail((*loc, "metricSource", "spec", "query"), "is required (a Prometheus counter query)", raw)
    if ref.metricSource.type and ref.metricSource.type.lower() != "prometheus":
        raise fail((*loc, "metricSource", "type"), f"only Prometheus queries are imported, not "
                                                   f"'{ref.metricSource.type}'", raw)
    return query.strip()


def slos_section(slos: list[SLO]) -> str:
    """The plan's ``slos:`` section for ``slos``, as YAML to paste into a plan."""
    entries = []
    for slo in slos:
        entry: dict[str, Any] = {"name": slo.name}
        if slo.description:
            entry["description"] = slo.description
        entry["sli"] = {"good": slo.sli.good, "total": slo.sli.total}
        entry.update(target=slo.target, window=_duration_text(slo.window.total_seconds()))
        entries.append(entry)
    yaml = YAML(typ="rt")  # keeps the keys in the order a plan writes them
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump({"slos": entries}, out)
    return out.getvalue()


def _duration_text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
