"""The monitoring plan: what to watch, against what, and what to do about it.

Field names follow the Post-Release Monitoring Log template so a release manager recognises them. Unknown
keys are refused (a typo must not silently drop a threshold).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from vigil.plan.alerting import Alerting, Communication, IncidentPolicy, Notifications
from vigil.plan.catalogue import CATALOGUE, DEFAULT_BASELINE, DEFAULT_CHECKPOINTS, DEFAULT_ROLLOUT
from vigil.plan.durations import Duration, format_offset
from vigil.plan.governance import Governance, SmokeConfig
from vigil.plan.kayenta_config import KayentaSetup

DeploymentMethod = Literal["canary", "blue-green", "rolling", "big-bang"]
BaselineKind = Literal["concurrent", "pre_deploy", "week_ago", "previous_release"]
Role = Literal["release_owner", "monitoring_owner", "service_owner", "sponsor", "participant", "viewer"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(Strict):
    name: str = Field(min_length=1)
    email: str | None = None
    handle: str | None = None


class Documents(Strict):
    release_plan: str = "release-plan.md"
    deployment_guide: str = "deployment-guide.md"
    monitoring_plan: str = "monitoring-plan.md"


class ReleaseInfo(Strict):
    name: str = Field(min_length=1, description="Feature/Release: the name of the change deployed")
    service: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    version: str = Field(min_length=1)
    baseline_version: str | None = None
    date: datetime = Field(description="Release date/time with its timezone offset: T+0")
    timezone: str | None = Field(default=None, description="IANA zone to show times in")
    deployment_method: DeploymentMethod
    documents: Documents = Documents()

    @field_validator("date")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a timezone, e.g. 2026-11-24T09:00:00+01:00")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown timezone '{value}'") from exc
        return value


class People(Strict):
    release_owner: Person
    monitoring_owner: Person
    service_owner: Person | None = None
    sponsor: Person | None = None
    participants: list[Person] = []


class RelativeLimits(Strict):
    """Percent change against the baseline, in the bad direction, that makes a warning or a critical."""

    warning: float | None = Field(default=None, gt=0)
    critical: float | None = Field(default=None, gt=0)


class Thresholds(Strict):
    max: float | None = Field(default=None, description="Expected below this (for metrics where up is bad)")
    min: float | None = Field(default=None, description="Expected above this (for metrics where down is bad)")
    warning: float | None = Field(default=None, description="Absolute warning level; default 90% of the way")
    relative: RelativeLimits = RelativeLimits()


class LeakCheck(Strict):
    """Trend test for slow growth (memory leaks, creeping latency) that a point comparison misses."""

    min_observation: Duration = timedelta(minutes=45)
    min_slope_per_hour: float = Field(default=1.0, ge=0)
    horizon: Duration = Field(default=timedelta(hours=4), description="Critical if the limit is reached within")
    p_value: float = Field(default=0.01, gt=0, lt=1)


class Metric(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    unit: str = ""
    bad: Literal["up", "down"] = "up"
    critical: bool = False
    business: bool = False
    source: str | None = None
    query: str | None = None
    thresholds: Thresholds = Thresholds()
    leak_check: LeakCheck | None = None
    # How the canary judge treats this metric (used with a concurrent baseline).
    tolerance: float | None = Field(default=None, ge=0, description="allowed change as a share of baseline")
    weight: float = Field(default=1.0, gt=0)
    group: str = "default"
    muted: bool = False
    # Error and other event metrics are compared as rates over their exposure, not by rank: a zero
    # baseline against a few canary errors is then "not enough evidence" or "worse", never a pass.
    compare: Literal["continuous", "count", "share"] = Field(
        default="continuous",
        description="continuous: rank test on the samples; count: the samples are events (per point or per "
                    "time unit); share: the samples are a share (% or fraction) of the exposure")
    exposure: str | None = Field(
        default=None, description="count/share: the plan metric holding the requests (or other exposure)")


class Fault(Strict):
    """A fault the simulator injects into the new version (or into both, for a dependency outage).

    ``source_outage`` is different: the monitoring source itself stops answering for the duration, which is
    how "the metrics backend is down" is rehearsed.
    """

    kind: Literal["error_spike", "latency_regression", "memory_leak", "throughput_drop", "dependency_outage",
                  "source_outage"]
    start: Duration = timedelta(0)
    duration: Duration | None = None
    magnitude: float = Field(default=1.0, gt=0, description="Size of the fault; meaning depends on kind")


class Source(Strict):
    name: str = "default"
    kind: Literal["simulator", "prometheus", "file"] = "simulator"
    seed: int = 7
    faults: list[Fault] = []
    url: str | None = None
    path: str | None = None
    options: dict[str, Any] = {}

    @field_validator("options")
    @classmethod
    def _options_for_kind(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        from vigil.metrics.config import validate_options  # here: that module imports plan durations

        return validate_options(info.data.get("kind", "simulator"), value)

    @model_validator(mode="after")
    def _located(self) -> Source:
        if self.kind == "prometheus" and not self.url:
            raise ValueError("a prometheus source needs a url, e.g. http://127.0.0.1:9090")
        if self.kind == "file" and not self.path:
            raise ValueError("a file source needs a path (a directory of <metric>.csv files, or one file)")
        return self


class RolloutStep(Strict):
    at: Duration
    percent: float = Field(ge=0, le=100)


class RollbackAction(Strict):
    command: str | None = None
    webhook: str | None = None
    timeout: Duration = timedelta(minutes=5)

    @model_validator(mode="after")
    def _one_action(self) -> RollbackAction:
        if self.command and self.webhook:
            raise ValueError("give either a command or a webhook, not both")
        return self


class RollbackPolicy(Strict):
    on_critical: bool = True
    consecutive_warnings: int | None = Field(default=3, ge=1)
    on_unknown: Literal["hold", "rollback"] = "hold"
    automatic: bool = True
    decision_maker: Person | None = None
    decision_maker_role: str = "Release Owner"
    action: RollbackAction = RollbackAction()
    verification_delay: Duration = timedelta(minutes=5)


class Stakeholder(Strict):
    name: str
    channel: str
    audience: str = ""


class CanaryOptions(Strict):
    """The statistical canary judge (Mann-Whitney per metric, weighted score) for concurrent baselines."""

    enabled: bool = True
    confidence: float = Field(default=0.98, gt=0.5, lt=1)
    tolerance: float = Field(default=0.1, ge=0, description="default allowed change, share of baseline")
    pass_threshold: float = Field(default=95.0, ge=0, le=100)
    marginal_threshold: float = Field(default=75.0, ge=0, le=100)
    min_samples: int = Field(default=20, ge=9)


class Plan(Strict):
    release: ReleaseInfo
    people: People
    source: Source = Source()
    sources: list[Source] = []
    metrics: list[Metric] = []
    checkpoints: list[Duration] = []
    evaluation_window: Duration = timedelta(minutes=5)
    baseline: BaselineKind | None = None
    canary: CanaryOptions = CanaryOptions()
    judge: Literal["vigil", "kayenta"] = Field(
        default="vigil", description="canary judge for a concurrent baseline: vigil's own, or Kayenta's "
                                     "NetflixACAJudge rules with the team's Kayenta canary config")
    kayenta_config: str | dict[str, Any] | None = Field(
        default=None, description="judge: kayenta — Kayenta canary-config JSON: a path relative to the plan "
                                  "file (read at registration and kept in the plan snapshot), or inline")
    rollout: list[RolloutStep] = []
    rollback: RollbackPolicy = RollbackPolicy()
    stakeholders: list[Stakeholder] = []
    smoke: SmokeConfig = SmokeConfig()
    governance: Governance = Governance()
    alerting: Alerting = Alerting()
    notifications: Notifications = Notifications()
    communication: Communication = Communication()
    incidents: IncidentPolicy = IncidentPolicy()
    _kayenta: KayentaSetup | None = PrivateAttr(default=None)  # set by the loader from kayenta_config

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        """Expand catalogue names and method defaults before validation, so errors name the YAML keys."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        method = (data.get("release") or {}).get("deployment_method")
        if not data.get("metrics"):
            data["metrics"] = [{"name": name} for name in CATALOGUE]
        data["metrics"] = [_with_catalogue(m) for m in data["metrics"]]
        if not data.get("checkpoints"):
            data["checkpoints"] = list(DEFAULT_CHECKPOINTS)
        if method in DEFAULT_ROLLOUT:
            data.setdefault("baseline", DEFAULT_BASELINE[method])
            if not data.get("rollout"):
                data["rollout"] = [{"at": at, "percent": pct} for at, pct in DEFAULT_ROLLOUT[method]]
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        names = [m.name for m in self.metrics]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"metric names must be unique; repeated: {', '.join(dupes)}")
        if self.checkpoints != sorted(set(self.checkpoints)):
            raise ValueError("checkpoints must be distinct and in increasing order")
        known = {s.name for s in self.all_sources()}
        for metric in self.metrics:
            if metric.source is not None and metric.source not in known:
                raise ValueError(f"metric '{metric.name}' names unknown source '{metric.source}'")
            if self.source_of(metric).kind == "prometheus" and not metric.query:
                raise ValueError(f"metric '{metric.name}' reads from Prometheus and needs a query")
            _check_exposure(metric, names)
        for rule in self.alerting.rules:
            if rule.metric not in names:
                raise ValueError(f"alert rule '{rule.name}' names unknown metric '{rule.metric}'")
        _check_judge(self)
        return self

    # --- helpers used across the code base -------------------------------------------------------

    def all_sources(self) -> list[Source]:
        return [self.source, *self.sources]

    def metric(self, name: str) -> Metric:
        """The plan's metric called ``name`` (validation has checked every rule's metric exists)."""
        return next(m for m in self.metrics if m.name == name)

    def source_of(self, metric: Metric) -> Source:
        """The source ``metric`` reads from: the one it names, or the plan's default."""
        return next(s for s in self.all_sources() if s.name == (metric.source or self.source.name))

    def checkpoint_names(self) -> list[str]:
        return [format_offset(c) for c in self.checkpoints]

    def traffic_percent(self, offset: timedelta) -> float:
        """Share of traffic on the new version ``offset`` after deployment start, per the rollout."""
        percent = 0.0
        for step in sorted(self.rollout, key=lambda s: s.at):
            if step.at <= offset:
                percent = step.percent
        return percent

    def zone(self) -> ZoneInfo | None:
        return ZoneInfo(self.release.timezone) if self.release.timezone else None

    def kayenta(self) -> KayentaSetup | None:
        """The Kayenta canary config the plan judges with (``judge: kayenta``), as the loader read it."""
        return self._kayenta


def _check_judge(plan: Plan) -> None:
    if plan.judge == "kayenta":
        if plan.kayenta_config is None:
            raise ValueError("judge: kayenta needs kayenta_config: the Kayenta canary-config JSON file")
        if plan.baseline != "concurrent":
            raise ValueError("judge: kayenta compares the canary with a baseline running beside it "
                             "(baseline: concurrent)")
        if not plan.canary.enabled:
            raise ValueError("judge: kayenta is the canary judge; it cannot run with canary.enabled: false")
    elif plan.kayenta_config is not None:
        raise ValueError("kayenta_config is used only with judge: kayenta")


def _check_exposure(metric: Metric, names: list[str]) -> None:
    if metric.compare == "share" and metric.exposure is None:
        raise ValueError(f"metric '{metric.name}' is compared as a share and needs 'exposure': the metric "
                         "counting what it is a share of (e.g. throughput)")
    if metric.exposure is None:
        return
    if metric.compare == "continuous":
        raise ValueError(f"metric '{metric.name}': 'exposure' applies only with compare: count or share")
    if metric.exposure == metric.name or metric.exposure not in names:
        raise ValueError(f"metric '{metric.name}' names unknown exposure metric '{metric.exposure}'")


def _with_catalogue(entry: Any) -> Any:
    """Merge a plan's metric entry over the catalogue defaults of the same name (if any)."""
    if not isinstance(entry, dict) or entry.get("name") not in CATALOGUE:
        return entry
    merged = dict(CATALOGUE[entry["name"]])
    for key, value in entry.items():
        if key == "thresholds" and isinstance(value, dict):
            merged["thresholds"] = {**merged.get("thresholds", {}), **value}
        else:
            merged[key] = value
    if merged.pop("leak_check", None) is True and "leak_check" not in entry:
        merged["leak_check"] = {}
    elif "leak_check" in entry:
        merged["leak_check"] = entry["leak_check"]
    return merged
