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

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Unique name of the rule")
    metric: str = Field(description="The plan metric it watches")
    condition: Literal["threshold", "relative", "rate", "anomaly"] = Field(
        default="threshold", description="What is compared with value (see the section's text)")
    op: Literal[">", ">=", "<", "<="] = Field(default=">", description="How it is compared")
    value: float = Field(description="The limit (anomaly: a score in [0, 1], e.g. 0.999)")
    for_: Duration = Field(default=timedelta(0), alias="for", description="How long it must hold before firing")
    window: Duration = Field(default=timedelta(minutes=10),
                             description="rate: span the slope is taken over; anomaly: history the detector learns "
                                         "from (it needs 1,000 samples of it: hours at a 15 s scrape)")
    sensitivity: Sensitivity = Field(
        default="high", description="anomaly: how eager the detector is; 'low' has about 40× fewer false alarms "
                                    "on noise than 'high' (see analysis/sensitivity.py)")
    severity: AlertSeverity = Field(default="warning", description="Severity of the alert it fires")
    no_data: Literal["ok", "alerting", "keep"] = Field(
        default="keep", description="what a gap in the data means: resolve, fire a no-data alert, or hold"
    )
    no_data_after: Duration = Field(default=timedelta(minutes=5), description="Silence that counts as no data")
    summary: str = Field(default="", description="One line shown with the alert")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _sensitivity_only_for_anomaly(self) -> AlertRule:
        if self.sensitivity != "high" and self.condition != "anomaly":
            raise ValueError("sensitivity applies only to condition: anomaly")
        return self


class Alerting(_Strict):
    evaluation_interval: Duration = Field(default=timedelta(minutes=1), description="How often rules run")
    rules: list[AlertRule] = Field(default=[], description="The alert rules")
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
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Name routes refer to")
    kind: Literal["webhook", "slack", "smtp"] = Field(description="How messages are delivered")
    url: str | None = Field(default=None, description="webhook, slack: where messages are POSTed")
    host: str = Field(default="127.0.0.1", description="smtp: mail server")
    port: int = Field(default=25, ge=1, le=65535, description="smtp: its port")
    sender: str = Field(default="vigil@localhost", description="smtp: From address")
    to: list[str] = Field(default=[], description="smtp: recipients")
    starttls: bool = Field(default=False, description="smtp: STARTTLS before sending; fail if not offered")
    username: str | None = Field(default=None, description="smtp: log in as this user (needs starttls)")
    password_env: str | None = Field(
        default=None, description="smtp: environment variable holding the password (never the password itself)"
    )
    ca_file: str | None = Field(default=None, description="smtp: CA certificate(s) to verify the server with")
    timeout: Duration = Field(default=timedelta(seconds=10), description="Time allowed for one delivery")

    @model_validator(mode="after")
    def _complete(self) -> Channel:
        if self.kind in {"webhook", "slack"} and not self.url:
            raise ValueError(f"a {self.kind} channel needs a url")
        if self.username and not self.starttls:
            raise ValueError("an smtp channel with a username needs starttls: true (a password never travels in clear)")
        if self.username and not self.password_env:
            raise ValueError("an smtp channel with a username needs password_env: the variable holding its password")
        return self


class Route(_Strict):
    """Who hears what: events (``alert.critical``, ``incident.opened``, ``communication``…) to channels."""

    events: list[str] = Field(min_length=1, description="Events routed: alert.critical, incident.opened, ...")
    channels: list[str] = Field(min_length=1, description="Channel names they go to")


class Notifications(_Strict):
    channels: list[Channel] = Field(default=[], description="Where messages can go")
    routes: list[Route] = Field(default=[], description="Which events go to which channels")
    retries: int = Field(default=3, ge=0, le=10, description="Further attempts after a failed delivery")
    backoff: Duration = Field(default=timedelta(seconds=2), description="Wait before the first retry (doubles)")

    @model_validator(mode="after")
    def _known(self) -> Notifications:
        names = {c.name for c in self.channels}
        for route in self.routes:
            for name in route.channels:
                if name not in names:
                    raise ValueError(f"route names unknown channel '{name}'")
        return self


class CommunicationStep(_Strict):
    at: Duration = Field(description="Offset after T+0 when it is due")
    kind: Literal["start", "status", "business", "leadership", "final"] = Field(description="What is said")
    audiences: list[str] = Field(default=[], description="stakeholder audiences; empty: everyone")


DEFAULT_TIMELINE = [
    CommunicationStep(at=timedelta(0), kind="start"),
    CommunicationStep(at=timedelta(minutes=15), kind="status", audiences=["engineering"]),
    CommunicationStep(at=timedelta(hours=1), kind="business", audiences=["product"]),
    CommunicationStep(at=timedelta(hours=4), kind="leadership", audiences=["leadership"]),
    CommunicationStep(at=timedelta(hours=24), kind="final"),
]


class Communication(_Strict):
    timeline: list[CommunicationStep] = Field(default=list(DEFAULT_TIMELINE), description="Steps, in order")


class DoraFacts(_Strict):
    """What classifying an incident under DORA needs to know about the service and its clients."""

    applies: bool = Field(default=False, description="Classify this service's incidents under DORA")
    critical_service: bool = Field(default=False, description="supports critical or important functions")
    total_clients: int | None = Field(default=None, ge=0, description="Clients of the service")
    average_daily_transactions_eur: float | None = Field(default=None, ge=0, description="Value of a day's "
                                                          "transactions, in EUR")


class IncidentPolicy(_Strict):
    major_severities: list[Severity] = Field(default=["critical", "high"], description="Severities that make "
                                             "an incident major (RCA required)")
    ticket_prefix: str = Field(default="INC", pattern=r"^[A-Z][A-Z0-9]*$", description="Ticket numbers: "
                               "PREFIX-00001")
    dora: DoraFacts = Field(default=DoraFacts(), description="Facts DORA classification needs")
