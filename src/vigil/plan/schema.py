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
from vigil.plan.slo import SLOList, check_slo_sources

DeploymentMethod = Literal["canary", "blue-green", "rolling", "big-bang"]
BaselineKind = Literal["concurrent", "pre_deploy", "week_ago", "previous_release"]
Role = Literal["release_owner", "monitoring_owner", "service_owner", "sponsor", "participant", "viewer"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(Strict):
    name: str = Field(min_length=1, description="How the person is named in records and sign-offs")
    email: str | None = Field(default=None, description="Where notifications for this person go")
    handle: str | None = Field(default=None, description="Chat handle, shown beside the name")


class Documents(Strict):
    release_plan: str = Field(default="release-plan.md", description="The release plan the log refers to")
    deployment_guide: str = Field(default="deployment-guide.md", description="The deployment guide the log refers to")
    monitoring_plan: str = Field(default="monitoring-plan.md", description="The monitoring plan the log refers to")


class ReleaseInfo(Strict):
    name: str = Field(min_length=1, description="Feature/Release: the name of the change deployed")
    service: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                         description="Service deployed; with the version it names the release (SERVICE-VERSION)")
    version: str = Field(min_length=1, description="Version deployed")
    baseline_version: str | None = Field(default=None, description="Version it replaces (the baseline cohort)")
    date: datetime = Field(description="Release date/time with its timezone offset: T+0")
    timezone: str | None = Field(default=None, description="IANA zone to show times in")
    deployment_method: DeploymentMethod = Field(
        description="How it is rolled out; sets the default rollout steps and baseline")
    documents: Documents = Field(default=Documents(), description="Documents the monitoring log links to")

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
    release_owner: Person = Field(description="Decides on rollback; settles manual rollbacks")
    monitoring_owner: Person = Field(description="Watches the release and signs the monitoring log")
    service_owner: Person | None = Field(default=None, description="Takes the service over at handover")
    sponsor: Person | None = Field(default=None, description="Approves closure")
    participants: list[Person] = Field(default=[], description="Everyone else taking part (retrospective, "
                                       "action items)")


class RelativeLimits(Strict):
    """Percent change against the baseline, in the bad direction, that makes a warning or a critical."""

    warning: float | None = Field(default=None, gt=0, description="Percent worse than baseline that warns")
    critical: float | None = Field(default=None, gt=0, description="Percent worse than baseline that is critical")


class Thresholds(Strict):
    max: float | None = Field(default=None, description="Expected below this (for metrics where up is bad)")
    min: float | None = Field(default=None, description="Expected above this (for metrics where down is bad)")
    warning: float | None = Field(default=None, description="Absolute warning level; default 90% of the way")
    relative: RelativeLimits = Field(default=RelativeLimits(), description="Limits relative to the baseline")


class Plausible(Strict):
    """The values a metric can take at all; a sample outside them is a broken source, not a reading."""

    min: float | None = Field(default=None, description="Lowest possible value (default from the unit: 0 for "
                                                        "percentages, durations, rates and counts)")
    max: float | None = Field(default=None, description="Highest possible value (default: 100 for %, 1 for a "
                                                        "share without a unit)")


class LeakCheck(Strict):
    """Trend test for slow growth (memory leaks, creeping latency) that a point comparison misses."""

    min_observation: Duration = Field(default=timedelta(minutes=45),
                                      description="Data needed since T+0 before the trend is tested")
    min_slope_per_hour: float = Field(default=1.0, ge=0, description="Growth per hour (metric units) below "
                                      "which a trend is ignored")
    horizon: Duration = Field(default=timedelta(hours=4), description="Critical if the limit is reached within")
    p_value: float = Field(default=0.01, gt=0, lt=1, description="Significance the growth must reach")


class Metric(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier; a catalogue name (error_rate, "
                      "p99_latency, ...) brings the template's label, unit and limits")
    label: str = Field(description="Name shown in the log and on pages")
    unit: str = Field(default="", description="Unit shown after values: %, ms, /min, $...")
    bad: Literal["up", "down"] = Field(default="up", description="Which direction is worse")
    critical: bool = Field(default=False, description="A failure of this metric fails the canary by itself")
    business: bool = Field(default=False, description="Counted as business impact in the log")
    source: str | None = Field(default=None, description="Name of the source it is read from (default: source)")
    query: str | None = Field(default=None, description="PromQL for a Prometheus source")
    thresholds: Thresholds = Field(default=Thresholds(), description="Absolute and relative limits")
    leak_check: LeakCheck | None = Field(default=None, description="Trend test for slow growth; off when absent")
    # How the canary judge treats this metric (used with a concurrent baseline).
    tolerance: float | None = Field(default=None, ge=0, description="allowed change as a share of baseline")
    weight: float = Field(default=1.0, gt=0, description="Weight of its group in the canary score")
    group: str = Field(default="default", description="Canary score group")
    muted: bool = Field(default=False, description="Judged and shown, but never fails the canary")
    # Error and other event metrics are compared as rates over their exposure, not by rank: a zero
    # baseline against a few canary errors is then "not enough evidence" or "worse", never a pass.
    compare: Literal["continuous", "count", "share"] = Field(
        default="continuous",
        description="continuous: rank test on the samples; count: the samples are events (per point or per "
                    "time unit); share: the samples are a share (% or fraction) of the exposure")
    exposure: str | None = Field(
        default=None, description="count/share: the plan metric holding the requests (or other exposure)")
    scales_with_traffic: bool | None = Field(
        default=None, description="A volume (throughput, counts, users, revenue) that each cohort has in "
                                  "proportion to its share of the traffic: compared per full traffic. Default: "
                                  "true for per-time rates, amounts and counts without an exposure")
    plausible: Plausible | None = Field(
        default=None, description="The values the metric can take; default from its unit and compare")


class Fault(Strict):
    """A fault the simulator injects into the new version (or into both, for a dependency outage).

    ``source_outage`` is different: the monitoring source itself stops answering for the duration, which is
    how "the metrics backend is down" is rehearsed.
    """

    kind: Literal["error_spike", "latency_regression", "memory_leak", "throughput_drop", "dependency_outage",
                  "source_outage"] = Field(description="What goes wrong")
    start: Duration = Field(default=timedelta(0), description="When it starts, after T+0")
    duration: Duration | None = Field(default=None, description="How long it lasts; for ever when absent")
    magnitude: float = Field(default=1.0, gt=0, description="Size of the fault; meaning depends on kind")


class Source(Strict):
    name: str = Field(default="default", description="Name metrics refer to with their source field")
    kind: Literal["simulator", "prometheus", "file"] = Field(default="simulator", description="Where metrics "
                                                             "come from")
    seed: int = Field(default=7, description="simulator: seed of its noise (same seed, same values)")
    faults: list[Fault] = Field(default=[], description="simulator: faults injected into the new version")
    url: str | None = Field(default=None, description="prometheus: base URL")
    path: str | None = Field(default=None, description="file: a directory of <metric>.csv files, or one file")
    options: dict[str, Any] = Field(default={}, description="Options of the source kind (docs/sources.md)")

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
    at: Duration = Field(description="Offset after T+0 at which the step applies")
    percent: float = Field(ge=0, le=100, description="Share of traffic on the new version from then on")


class RollbackAction(Strict):
    command: str | None = Field(default=None, description="Shell command that rolls back")
    webhook: str | None = Field(default=None, description="URL that is POSTed to roll back")
    timeout: Duration = Field(default=timedelta(minutes=5), description="How long the action may take")

    @model_validator(mode="after")
    def _one_action(self) -> RollbackAction:
        if self.command and self.webhook:
            raise ValueError("give either a command or a webhook, not both")
        return self


class RollbackPolicy(Strict):
    on_critical: bool = Field(default=True, description="Roll back at a critical checkpoint")
    consecutive_warnings: int | None = Field(default=3, ge=1, description="Roll back after this many warning "
                                             "checkpoints in a row; never when null")
    on_unknown: Literal["hold", "rollback"] = Field(default="hold", description="What missing data decides")
    on_fast_burn: bool = Field(default=False, description="roll back when an SLO's page burn pair fires at a "
                                                          "checkpoint (docs/slo.md)")
    automatic: bool = Field(default=True, description="Run the action at once; false: a person runs "
                            "`vigil rollback`")
    decision_maker: Person | None = Field(default=None, description="Named in the log as who decides")
    decision_maker_role: str = Field(default="Release Owner", description="Their role, as the log names it")
    action: RollbackAction = Field(default=RollbackAction(), description="What rolling back runs")
    verification_delay: Duration = Field(default=timedelta(minutes=5), description="Wait after the action "
                                         "before the service is checked again")


class Stakeholder(Strict):
    name: str = Field(description="Who they are (a team, a group)")
    channel: str = Field(description="Where they are told: a chat channel, an address")
    audience: str = Field(default="", description="Audience the communication timeline addresses them as")


class CanaryOptions(Strict):
    """The statistical canary judge (Mann-Whitney per metric, weighted score) for concurrent baselines."""

    enabled: bool = Field(default=True, description="Judge the canary against the concurrent baseline")
    confidence: float = Field(default=0.98, gt=0.5, lt=1, description="Confidence of each metric's test")
    tolerance: float = Field(default=0.1, ge=0, description="default allowed change, share of baseline")
    pass_threshold: float = Field(default=95.0, ge=0, le=100, description="Score at or above which it passes")
    marginal_threshold: float = Field(default=75.0, ge=0, le=100, description="Score below which it fails")
    min_samples: int = Field(default=20, ge=9, description="Samples per cohort below which there is not "
                             "enough evidence")


class Plan(Strict):
    release: ReleaseInfo = Field(description="What is released, when, and how")
    people: People = Field(description="Who owns, watches and approves it")
    source: Source = Field(default=Source(), description="Where metrics come from (the default source)")
    sources: list[Source] = Field(default=[], description="More sources, named, for metrics that say so")
    metrics: list[Metric] = Field(default=[], description="What is watched; empty: every catalogue metric "
                                  f"({', '.join(CATALOGUE)}) with the template's limits")
    checkpoints: list[Duration] = Field(default=[], description="When health is judged; empty: "
                                        f"{', '.join(DEFAULT_CHECKPOINTS)}. The last one is the final one")
    evaluation_window: Duration = Field(default=timedelta(minutes=5), description="Data each checkpoint "
                                        "judges: the window ending at its due time")
    min_coverage: float = Field(
        default=0.5, gt=0, le=1,
        description="Share of a window's expected samples that must hold a real value for it to be judged; "
                    "less is 'insufficient data' and holds")
    baseline: BaselineKind | None = Field(default=None, description="What the new version is compared with; "
                                          "empty: concurrent for canary and blue-green, pre_deploy otherwise")
    canary: CanaryOptions = Field(default=CanaryOptions(), description="The statistical canary judge")
    judge: Literal["vigil", "kayenta"] = Field(
        default="vigil", description="canary judge for a concurrent baseline: vigil's own, or Kayenta's "
                                     "NetflixACAJudge rules with the team's Kayenta canary config")
    kayenta_config: str | dict[str, Any] | None = Field(
        default=None, description="judge: kayenta — Kayenta canary-config JSON: a path relative to the plan "
                                  "file (read at registration and kept in the plan snapshot), or inline")
    rollout: list[RolloutStep] = Field(default=[], description="Traffic on the new version over time; empty: "
                                       "the deployment method's steps (canary 5/25/50/100%)")
    rollback: RollbackPolicy = Field(default=RollbackPolicy(), description="When and how to roll back")
    stakeholders: list[Stakeholder] = Field(default=[], description="Who is kept informed, and where")
    smoke: SmokeConfig = Field(default=SmokeConfig(), description="Post-deployment smoke checks (DEP-02)")
    governance: Governance = Field(default=Governance(), description="Handover, closure, lessons, retention")
    alerting: Alerting = Field(default=Alerting(), description="Alert rules evaluated between checkpoints")
    notifications: Notifications = Field(default=Notifications(), description="Channels and who hears what")
    communication: Communication = Field(default=Communication(), description="The communication timeline")
    incidents: IncidentPolicy = Field(default=IncidentPolicy(), description="Incident numbering and severity")
    slos: SLOList = Field(default=[], description="Service level objectives: burn-rate alerts and the error "
                                                  "budget per checkpoint (docs/slo.md)")
    _kayenta: KayentaSetup | None = PrivateAttr(default=None)  # set by the loader from kayenta_config

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        """Expand catalogue names and method defaults before validation, so errors name the YAML keys."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        # Values of the wrong type are left for validation to report with their line, never a crash here.
        release = data.get("release")
        method = release.get("deployment_method") if isinstance(release, dict) else None
        if not data.get("metrics"):
            data["metrics"] = [{"name": name} for name in CATALOGUE]
        if isinstance(data["metrics"], list):
            data["metrics"] = [_with_catalogue(m) for m in data["metrics"]]
        if not data.get("checkpoints"):
            data["checkpoints"] = list(DEFAULT_CHECKPOINTS)
        if isinstance(method, str) and method in DEFAULT_ROLLOUT:
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
        check_slo_sources(self.slos, known)
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
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or entry["name"] not in CATALOGUE:
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
