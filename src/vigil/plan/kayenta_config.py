"""Kayenta's canary-config JSON, read for ``judge: kayenta``: a team leaving Spinnaker keeps its config.

Two shapes are accepted, both Kayenta's own: a ``CanaryConfig`` (``metrics[]`` with ``name``, ``groups``,
``query``, ``analysisConfigurations.canary``; ``classifier.groupWeights``), or an ad-hoc execution request
(``{"canaryConfig": {...}, "executionRequest": {"thresholds": {"pass": 95, "marginal": 75}}}``), whose
score thresholds then replace the plan's ``canary.pass_threshold``/``marginal_threshold``.

Keys vigil does not use (``query``, ``scopeName``, ``templates``, ``applications`` ...) are accepted and
kept in the plan snapshot; inside ``analysisConfigurations.canary`` every key is checked, because a
misspelt ``mustHaveData`` would otherwise silently judge a metric as if it could lack data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vigil.errors import PlanError

if TYPE_CHECKING:
    from vigil.plan.schema import Plan

M = TypeVar("M", bound=BaseModel)


class _Checked(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class EffectSizeDoc(_Checked):
    measure: Literal["meanRatio", "cles"] = "meanRatio"
    allowedIncrease: float | None = None
    allowedDecrease: float | None = None
    criticalIncrease: float = 1.0
    criticalDecrease: float = 1.0


class OutliersDoc(_Checked):
    strategy: Literal["keep", "remove"] = "keep"
    outlierFactor: float = Field(default=3.0, gt=0)


class CanaryAnalysisDoc(_Checked):
    direction: Literal["increase", "decrease", "either"] = "either"
    nanStrategy: Literal["remove", "replace"] = "remove"
    critical: bool = False
    mustHaveData: bool = False
    muted: bool = False
    effectSize: EffectSizeDoc = EffectSizeDoc()
    outliers: OutliersDoc = OutliersDoc()


class AnalysisConfigurationsDoc(_Open):
    canary: CanaryAnalysisDoc = CanaryAnalysisDoc()


class CanaryMetricDoc(_Open):
    name: str = Field(min_length=1)
    groups: list[str] = []
    analysisConfigurations: AnalysisConfigurationsDoc = AnalysisConfigurationsDoc()


class ThresholdsDoc(_Checked):
    pass_: float = Field(alias="pass", ge=0, le=100)
    marginal: float = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdsDoc:
        if self.marginal > self.pass_:
            raise ValueError("marginal must not exceed pass")
        return self


class ClassifierDoc(_Open):
    groupWeights: dict[str, Annotated[float, Field(ge=0)]] = {}
    scoreThresholds: ThresholdsDoc | None = None  # older configs carried them here


class CanaryConfigDoc(_Open):
    metrics: list[CanaryMetricDoc] = Field(min_length=1)
    classifier: ClassifierDoc = ClassifierDoc()

    @field_validator("metrics")
    @classmethod
    def _unique(cls, metrics: list[CanaryMetricDoc]) -> list[CanaryMetricDoc]:
        # Kayenta finds a metric's settings by name: a second metric of the same name is judged as the first.
        names = [m.name for m in metrics]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"metric names must be unique; repeated: {', '.join(repeated)}")
        return metrics


class ExecutionRequestDoc(_Open):
    thresholds: ThresholdsDoc | None = None


class KayentaSetup(BaseModel):
    """What the plan judges with: the canary config, and the score thresholds if the file gave them."""

    model_config = ConfigDict(frozen=True)
    config: CanaryConfigDoc
    thresholds: ThresholdsDoc | None = None


def parse_setup(node: Any, name: str, prefix: tuple[str, ...] = ()) -> KayentaSetup:
    """``node`` (a YAML tree, so every key keeps its line) as a config or an ad-hoc request.

    A problem is a ``PlanError`` naming ``name``, the line and the field (under ``prefix`` when the config
    is written inline in a plan).
    """
    if not isinstance(node, dict):
        raise PlanError(name, None, ".".join(prefix) or "canary config", "must be an object with 'metrics'")
    if "canaryConfig" in node:
        config = _validated(CanaryConfigDoc, node["canaryConfig"], name, (*prefix, "canaryConfig"))
        request = _validated(ExecutionRequestDoc, node.get("executionRequest") or {}, name,
                             (*prefix, "executionRequest"))
        return KayentaSetup(config=config, thresholds=request.thresholds or config.classifier.scoreThresholds)
    config = _validated(CanaryConfigDoc, node, name, prefix)
    return KayentaSetup(config=config, thresholds=config.classifier.scoreThresholds)


def _validated(model: type[M], node: Any, name: str, prefix: tuple[str, ...]) -> M:
    from vigil.plan.loader import validate_yaml  # here: the loader imports this module

    try:
        return validate_yaml(model, node, name, ".".join(prefix) or "canary config")
    except PlanError as exc:
        inner = exc.field if exc.field != (".".join(prefix) or "canary config") else ""
        field = ".".join(p for p in (*prefix, inner) if p) or "canary config"
        raise PlanError(exc.path, exc.line, field, exc.message) from None


def read_setup(path: Path) -> tuple[KayentaSetup, Any]:
    """Read and validate a canary-config file; return it with the decoded JSON (kept in the snapshot)."""
    from vigil.plan.loader import parse_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(str(path), None, "file", exc.strerror or str(exc)) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(str(path), exc.lineno, "json", exc.msg) from None
    try:
        tree = parse_yaml(text, str(path))  # JSON is YAML: the round-trip tree knows each key's line
    except PlanError:
        tree = raw  # JSON that YAML reads differently (e.g. tab indentation): fields without lines
    return parse_setup(tree, str(path)), raw


def attach(plan: Plan, tree: Any, name: str) -> Any:
    """Read ``plan.kayenta_config``, check it against the plan's metrics and attach it to the plan.

    Returns the decoded JSON when it came from a file (the loader keeps it inline in the snapshot, so a
    later evaluation judges with the config as registered, not as the file is then), else None.
    """
    from vigil.plan.loader import line_of

    line = line_of(tree, ("kayenta_config",))
    raw: Any = None
    if isinstance(plan.kayenta_config, str):
        path = Path(plan.kayenta_config)
        if not path.is_absolute():
            path = Path(name).parent / path
        if not path.is_file():
            raise PlanError(name, line, "kayenta_config", f"no such file: {path} (a path is relative to the plan)")
        setup, raw = read_setup(path)
    else:
        setup = parse_setup(tree["kayenta_config"], name, ("kayenta_config",))
    known = {m.name for m in plan.metrics} | {m.label for m in plan.metrics}
    unmatched = [m.name for m in setup.config.metrics if m.name not in known]
    if unmatched:
        raise PlanError(name, line, "kayenta_config",
                        f"canary-config metric(s) {', '.join(repr(n) for n in unmatched)} match no plan metric "
                        "(a Kayenta metric is read from the plan metric with that name or label)")
    plan._kayenta = setup
    return raw


def inline_snapshot(text: str, tree: Any, raw: Any, path: str) -> str:
    """The plan text with ``kayenta_config: <path>`` replaced by the JSON it named, on the same lines."""
    key_line = tree.lc.key("kayenta_config")[0]
    value_line = tree.lc.value("kayenta_config")[0]
    lines = text.splitlines(keepends=True)
    inline = f"kayenta_config: {json.dumps(raw, separators=(',', ':'))}  # read from {path}\n"
    blank = ["\n"] * (value_line - key_line)  # keep every later line where it was (errors cite lines)
    return "".join([*lines[:key_line], inline, *blank, *lines[value_line + 1:]])
