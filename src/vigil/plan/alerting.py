"""Plan sections for alerting, notifications, the communication timeline and incident policy.

Kept apart from ``schema.py`` so the alerting domain owns its plan vocabulary; ``Plan`` only adds one
field per section. Everything is strict (unknown keys refused) so a typo is reported with its file:line.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vigil.plan.durations import Duration

Severity = Literal["critical", "high", "medium", "low"]
AlertSeverity = Literal["critical", "warning", "info"]
# The anomaly detector's presets (analysis/sensitivity.py); named here so the plan does not load numpy.
Sensitivity = Literal["high", "medium", "low"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertRule(_Strict):
    """A condition on one metric of the new version that must hold for ``for`` before the alert fires.

    ``threshold`` compares the value itself; ``relative`` the percent change against the baseline cohort
    (or the hour before deployment); ``rate`` the change per hour over ``window``; ``anomaly`` the streaming
    detector's score in [0, 1] (``value`` e.g. 0.999), learnt over ``window`` before each evaluated sample.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    metric: str
    condition: Literal["threshold", "relative", "rate", "anomaly"] = "threshold"
    op: Literal[">", ">=", "<", "<="] = ">"
    value: float
    for_: Duration = Field(default=timedelta(0), alias="for")
    window: Duration = Field(default=timedelta(minutes=10),
                             description="rate: span the slope is taken over; anomaly: history the detector learns "
                                         "from (it needs 1,000 samples of it: hours at a 15 s scrape)")
    sensitivity: Sensitivity = Field(
        default="high", description="anomaly: how eager the detector is; 'low' has about 40× fewer false alarms "
                                    "on noise than 'high' (see analysis/sensitivity.py)")
    severity: AlertSeverity = "warning"
    no_data: Literal["ok", "alerting", "keep"] = Field(
        default="keep", description="what a gap in the data means: resolve, fire a no-data alert, or hold"
    )
    no_data_after: Duration = timedelta(minutes=5)
    summary: str = ""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _sensitivity_only_for_anomaly(self) -> AlertRule:
        if self.sensitivity != "high" and self.condition != "anomaly":
            raise ValueError("sensitivity applies only to condition: anomaly")
        return self


class Alerting(_Strict):
    evaluation_interval: Duration = timedelta(minutes=1)
    rules: list[AlertRule] = []
    auto_incident: list[AlertSeverity] = Field(
        default=["critical"], description="alert severities that open an incident by themselves"
    )

    @model_validator(mode="after")
    def _unique(self) -> Alerting:
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"alert rule names must be unique; repeated: {', '.join(dupes)}")
        if self.evaluation_interval <= timedelta(0):
            raise ValueError("evaluation_interval must be positive")
        return self


class Channel(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal["webhook", "slack", "smtp"]
    url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "vigil@localhost"
    to: list[str] = []
    timeout: Duration = timedelta(seconds=10)

    @model_validator(mode="after")
    def _complete(self) -> Channel:
        if self.kind in {"webhook", "slack"} and not self.url:
            raise ValueError(f"a {self.kind} channel needs a url")
        return self


class Route(_Strict):
    """Who hears what: events (``alert.critical``, ``incident.opened``, ``communication``…) to channels."""

    events: list[str] = Field(min_length=1)
    channels: list[str] = Field(min_length=1)


class Notifications(_Strict):
    channels: list[Channel] = []
    routes: list[Route] = []
    retries: int = Field(default=3, ge=0, le=10)
    backoff: Duration = timedelta(seconds=2)

    @model_validator(mode="after")
    def _known(self) -> Notifications:
        names = {c.name for c in self.channels}
        for route in self.routes:
            for name in route.channels:
                if name not in names:
                    raise ValueError(f"route names unknown channel '{name}'")
        return self


class CommunicationStep(_Strict):
    at: Duration
    kind: Literal["start", "status", "business", "leadership", "final"]
    audiences: list[str] = Field(default=[], description="stakeholder audiences; empty: everyone")


DEFAULT_TIMELINE = [
    CommunicationStep(at=timedelta(0), kind="start"),
    CommunicationStep(at=timedelta(minutes=15), kind="status", audiences=["engineering"]),
    CommunicationStep(at=timedelta(hours=1), kind="business", audiences=["product"]),
    CommunicationStep(at=timedelta(hours=4), kind="leadership", audiences=["leadership"]),
    CommunicationStep(at=timedelta(hours=24), kind="final"),
]


class Communication(_Strict):
    timeline: list[CommunicationStep] = list(DEFAULT_TIMELINE)


class DoraFacts(_Strict):
    """What classifying an incident under DORA needs to know about the service and its clients."""

    applies: bool = False
    critical_service: bool = Field(default=False, description="supports critical or important functions")
    total_clients: int | None = Field(default=None, ge=0)
    average_daily_transactions_eur: float | None = Field(default=None, ge=0)


class IncidentPolicy(_Strict):
    major_severities: list[Severity] = ["critical", "high"]
    ticket_prefix: str = Field(default="INC", pattern=r"^[A-Z][A-Z0-9]*$")
    dora: DoraFacts = DoraFacts()
