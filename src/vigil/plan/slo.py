"""The plan's ``slos`` section: service level objectives stated as ratio SLIs, and their burn-rate alerts.

An SLI is a ratio of good events to all events, given either as two counter queries (``good`` and
``total``) or as a latency threshold on a Prometheus histogram (``histogram: <name>_bucket`` and
``threshold: 300ms``: good is the bucket ``le="0.3"``, total is ``<name>_count``). A query is a PromQL
counter selector that vigil takes the rate of, or a whole expression with ``$window`` where the range goes.

The default alert pairs are the Google SRE Workbook's (ch. 5, "multiwindow, multi-burn-rate"): page at
14.4× over 1 h and 5 m, page at 6× over 6 h and 30 m, ticket at 1× over 3 d and 6 h.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from vigil.plan.durations import Duration, parse_duration

BurnSeverity = Literal["page", "ticket"]
_MILLIS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*ms\s*$")


def _latency(value: object) -> object:
    """Latency thresholds are said in milliseconds (``300ms``) as well as the plan's other units."""
    if isinstance(value, str):
        millis = _MILLIS.match(value)
        return timedelta(milliseconds=float(millis.group(1))) if millis else parse_duration(value)
    return value


Latency = Annotated[timedelta, BeforeValidator(_latency)]
_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{.*\})?\s*$", re.DOTALL)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BurnWindow(_Strict):
    """Alert when the budget burns at ``factor``× its even rate over both ``long`` and ``short``."""

    long: Duration
    short: Duration
    factor: float = Field(gt=0)
    severity: BurnSeverity = "page"

    @model_validator(mode="after")
    def _short_is_shorter(self) -> BurnWindow:
        if not timedelta(0) < self.short < self.long:
            raise ValueError("short must be positive and shorter than long")
        return self


WORKBOOK_WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow(long=timedelta(hours=1), short=timedelta(minutes=5), factor=14.4, severity="page"),
    BurnWindow(long=timedelta(hours=6), short=timedelta(minutes=30), factor=6.0, severity="page"),
    BurnWindow(long=timedelta(days=3), short=timedelta(hours=6), factor=1.0, severity="ticket"),
)


class SLI(_Strict):
    good: str | None = Field(default=None, description="counter selector (or expression with $window) of good events")
    total: str | None = Field(default=None, description="counter selector (or expression with $window) of all events")
    histogram: str | None = Field(default=None, description="a histogram's buckets, e.g. http_duration_seconds_bucket")
    threshold: Latency | None = Field(default=None, description="histogram: requests at or under this are good")
    le: str | None = Field(default=None, description="histogram: the bucket's le label as written; default "
                                                     "the threshold in seconds, e.g. 0.3")

    @model_validator(mode="after")
    def _one_kind(self) -> SLI:
        ratio = self.good is not None or self.total is not None
        latency = self.histogram is not None or self.threshold is not None or self.le is not None
        if ratio and latency:
            raise ValueError("give either good/total queries or a histogram with a threshold, not both")
        if latency:
            if self.histogram is None or self.threshold is None:
                raise ValueError("a latency SLI needs both 'histogram' and 'threshold'")
            match = _SELECTOR.match(self.histogram)
            if match is None or not match.group(1).endswith("_bucket"):
                raise ValueError("'histogram' must be a selector of a histogram's buckets, "
                                 "e.g. http_request_duration_seconds_bucket{job=\"checkout\"}")
            if self.threshold <= timedelta(0):
                raise ValueError("threshold must be positive")
        elif self.good is None or self.total is None:
            raise ValueError("a ratio SLI needs both 'good' and 'total' queries")
        return self

    def good_query(self) -> str:
        """The good-event counter (or expression) this SLI counts."""
        if self.good is not None:
            return self.good
        return _with_matcher(self._histogram_parts(), f'le="{self.bucket_le()}"')

    def total_query(self) -> str:
        if self.total is not None:
            return self.total
        name, matchers = self._histogram_parts()
        return _with_matcher((name.removesuffix("_bucket") + "_count", matchers), None)

    def bucket_le(self) -> str:
        assert self.threshold is not None
        return self.le if self.le is not None else f"{self.threshold.total_seconds():g}"

    def _histogram_parts(self) -> tuple[str, str]:
        assert self.histogram is not None
        match = _SELECTOR.match(self.histogram)
        assert match is not None  # validated
        return match.group(1), (match.group(2) or "{}")[1:-1].strip()


def _with_matcher(parts: tuple[str, str], extra: str | None) -> str:
    name, matchers = parts
    every = [m for m in (matchers.rstrip(","), extra) if m]
    return f"{name}{{{', '.join(every)}}}" if every else name


class SLO(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=60)
    description: str = ""
    sli: SLI
    target: float = Field(gt=0, lt=100, description="percent of events that must be good, e.g. 99.9")
    window: Duration = Field(default=timedelta(days=30), description="the SLO's rolling window")
    source: str | None = Field(default=None, description="plan source to read from; default the plan's")
    alerts: list[BurnWindow] = Field(default=list(WORKBOOK_WINDOWS), min_length=1)
    min_events: float = Field(default=100, ge=0, description="fewer events than this in either window of a "
                                                             "pair: no alert (a handful of requests proves nothing)")
    rollback_on_fast_burn: bool | None = Field(
        default=None, description="roll back when a page pair burns at a checkpoint; default the plan's "
                                  "rollback.on_fast_burn")

    @model_validator(mode="after")
    def _window(self) -> SLO:
        if self.window < timedelta(hours=1):
            raise ValueError("window must be at least 1h (SLO windows are usually 28d or 30d)")
        return self

    @property
    def allowed(self) -> float:
        """The share of events that may be bad: the error budget as a ratio (0.001 for 99.9 %)."""
        return (100.0 - self.target) / 100.0

    @property
    def metric_stem(self) -> str:
        """The SLO's name as a metric name stem (``checkout-availability`` → ``checkout_availability``)."""
        return self.name.replace("-", "_")


def _unique(slos: list[SLO]) -> list[SLO]:
    names = [s.name for s in slos]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"SLO names must be unique; repeated: {', '.join(dupes)}")
    return slos


SLOList = Annotated[list[SLO], AfterValidator(_unique)]


def check_slo_sources(slos: list[SLO], sources: set[str]) -> None:
    """Called by the plan, which knows its sources: an SLO may only name one of them."""
    for slo in slos:
        if slo.source is not None and slo.source not in sources:
            raise ValueError(f"SLO '{slo.name}' names unknown source '{slo.source}'")
