"""The plan's governance sections: smoke checks (DEP-02), retention overrides (AUD-03), the handover
checklist (PM-28), closure facts (PM-29), the lessons knowledge base (PM-30) and review dates.

Kept apart from ``schema.py`` so the monitoring part of the plan stays readable; ``Plan`` only gains the
``smoke`` and ``governance`` fields.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from vigil.plan.durations import Duration

_PERIOD_PART = re.compile(r"(\d+)([dwmy])")
_PERIOD_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_period(text: str | int) -> timedelta:
    """Retention periods are long: ``7y``, ``18m`` (months of 30 days), ``90d``, ``2y6m``; an int is days.

    A year counts 365 days, so a 7-year period is never shorter than seven calendar years minus the
    leap days; retention rules are minimums, so we round in the auditor's favour by adding them back.
    """
    if isinstance(text, int):
        return timedelta(days=text)
    raw, pos, days = text.strip().lower(), 0, 0
    for match in _PERIOD_PART.finditer(raw):
        if match.start() != pos:
            break
        count, unit = int(match.group(1)), match.group(2)
        days += count * _PERIOD_DAYS[unit] + (count // 4 + 1 if unit == "y" else 0)
        pos = match.end()
    if pos != len(raw) or pos == 0:
        raise ValueError(f"'{text}' is not a retention period (use e.g. 7y, 18m, 90d)")
    return timedelta(days=days)


def _latency(value: Any) -> Any:
    """Latency limits are said in milliseconds as often as seconds: ``250ms``, ``1.5s``, ``2s``."""
    if isinstance(value, str) and value.strip().lower().endswith("ms"):
        try:
            return timedelta(milliseconds=float(value.strip()[:-2]))
        except ValueError:
            raise ValueError(f"'{value}' is not a latency (use e.g. 250ms or 2s)") from None
    return value


Latency = Annotated[Duration, BeforeValidator(_latency)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpCheck(_Strict):
    """One smoke check: a request and what its answer must look like."""

    name: str = Field(min_length=1, description="Unique name of the check")
    method: str = Field(default="GET", description="HTTP method")
    url: str = Field(min_length=1, description="Absolute, or relative to smoke.base_url")
    headers: dict[str, str] = Field(default={}, description="Request headers")
    body: str | None = Field(default=None, description="Request body")
    expect_status: list[int] = Field(default=[200], description="Status codes that pass (one or a list)")
    body_contains: str | None = Field(default=None, description="Text the answer must contain")
    json_path: str | None = Field(default=None, description="JSONPath such as $.status or $.items[0].id")
    json_equals: Any = Field(default=None, description="Value json_path must find")
    max_latency: Latency | None = Field(default=None, description="Slowest passing answer (e.g. 300ms)")
    timeout: Latency = Field(default=timedelta(seconds=10), description="Time allowed for the answer")
    retries: int = Field(default=0, ge=0, le=10, description="Further attempts after a failure")
    retry_delay: Duration = Field(default=timedelta(0), description="Wait between attempts")

    @field_validator("expect_status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("json_path")
    @classmethod
    def _valid_path(cls, value: str | None) -> str | None:
        if value is not None:
            from jsonpath_ng import parse

            try:
                parse(value)
            except Exception as exc:  # jsonpath_ng raises several exception types for bad syntax
                raise ValueError(f"'{value}' is not a JSONPath: {exc}") from None
        return value


class SmokeConfig(_Strict):
    base_url: str | None = Field(default=None, description="Base of relative check URLs")
    at_checkpoints: bool = Field(default=False, description="Also run the checks at every checkpoint")
    checks: list[HttpCheck] = Field(default=[], description="The checks")

    @model_validator(mode="after")
    def _unique(self) -> SmokeConfig:
        names = [c.name for c in self.checks]
        if len(names) != len(set(names)):
            raise ValueError("smoke check names must be unique")
        return self


class HandoverConfig(_Strict):
    """What operations need from the project before the Service Owner takes the service over."""

    runbooks: list[str] = Field(default=[], description="Runbooks operations will use")
    dashboards: list[str] = Field(default=[], description="Dashboards to watch the service on")
    alert_routes: list[str] = Field(default=[], description="Where its alerts go")
    on_call: str | None = Field(default=None, description="Who is on call")
    known_risks: list[str] = Field(default=[], description="Risks handed over")


class ClosureConfig(_Strict):
    scope: list[str] = Field(default=[], description="What the project set out to deliver")
    costs: str | None = Field(default=None, description="Costs, as closure reports them")
    effort: str | None = Field(default=None, description="Effort, as closure reports it")


class LessonsConfig(_Strict):
    knowledge_base: str | None = Field(default=None, description="Folder of the organisation-wide KB")
    webhook: str | None = Field(default=None, description="Announce each published page here (POST JSON)")
    tags: list[str] = Field(default=[], description="Tags of published lessons")


class Governance(_Strict):
    retention: dict[str, str] = Field(
        default={}, description="Evidence kind -> period, e.g. smoke_result: 7y"
    )
    handover: HandoverConfig = Field(default=HandoverConfig(), description="Operational handover (PM-28)")
    closure: ClosureConfig = Field(default=ClosureConfig(), description="Project closure (PM-29)")
    lessons: LessonsConfig = Field(default=LessonsConfig(), description="Lessons learned (PM-30)")
    action_due: Duration = Field(default=timedelta(days=14), description="Default due time of action items")
    review_at: datetime | None = Field(default=None, description="When the post-release review is held")
    retrospective_at: datetime | None = Field(default=None, description="When the retrospective is held")

    @field_validator("retention")
    @classmethod
    def _periods(cls, value: dict[str, str]) -> dict[str, str]:
        for period in value.values():
            parse_period(period)
        return value
