"""The ``options`` of each source kind, validated when the plan is loaded.

``Source.options`` stays a plain mapping in the plan schema (so the simulator needs nothing), and is
checked here against the model for its kind; a typo such as ``cohort:`` for ``cohorts:`` is refused with
the plan's file and line like any other plan error.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vigil.plan.durations import Duration


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cohorts(_Strict):
    """The label value (Prometheus) or cohort column value (files) of each cohort.

    A Prometheus query writes ``$cohort`` where the value goes, e.g.
    ``rate(http_errors_total{version="$cohort"}[1m])``.
    """

    baseline: str = "baseline"
    new: str = "new"


class Auth(_Strict):
    """Bearer token or basic auth; secrets may come from the environment instead of the plan file."""

    bearer_token: str | None = None
    bearer_token_env: str | None = None
    username: str | None = None
    password: str | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Auth:
        bearer = self.bearer_token is not None or self.bearer_token_env is not None
        basic = self.username is not None or self.password is not None or self.password_env is not None
        if bearer and basic:
            raise ValueError("give either a bearer token or a username/password, not both")
        if (self.password is not None or self.password_env is not None) and self.username is None:
            raise ValueError("a password needs a username")
        return self


class PrometheusOptions(_Strict):
    cohorts: Cohorts = Cohorts()
    auth: Auth | None = None
    headers: dict[str, str] = {}
    timeout: Duration = timedelta(seconds=10)
    retries: int = Field(default=3, ge=0, le=10, description="Extra attempts after a failed request")
    backoff: Duration = Field(default=timedelta(milliseconds=500), description="First retry delay; doubles")
    # "range": every sample of the window via /api/v1/query_range; "instant": one value at the window's end
    # via /api/v1/query (for queries that already aggregate over time, e.g. avg_over_time(x[5m])).
    mode: Literal["range", "instant"] = "range"
    step: Duration | None = Field(default=None, description="Range query resolution; default window/60, ≥1s")


class FileOptions(_Strict):
    cohorts: Cohorts = Cohorts()
    # metric name -> file (relative to the source path) when it is not <metric>.<csv|jsonl|prom|om|txt>
    files: dict[str, str] = {}
    # OpenMetrics snapshots: the sample name per metric (default: the metric's name) and the label that
    # carries the cohort (samples without it count for both cohorts).
    samples: dict[str, str] = {}
    cohort_label: str = "version"


_MODELS: dict[str, type[_Strict] | None] = {"prometheus": PrometheusOptions, "file": FileOptions,
                                            "simulator": None}


def validate_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """Check ``options`` against ``kind``'s model; raises ``ValueError`` naming the bad option."""
    model = _MODELS.get(kind)
    if model is None:
        if options:
            raise ValueError(f"a {kind} source takes no options (got {', '.join(sorted(options))})")
        return options
    from pydantic import ValidationError

    try:
        model.model_validate(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "options"
        msg = "unknown option (check the spelling)" if first["type"] == "extra_forbidden" else first["msg"]
        raise ValueError(f"{where}: {str(msg).removeprefix('Value error, ')}") from None
    return options


def prometheus_options(options: dict[str, Any]) -> PrometheusOptions:
    return PrometheusOptions.model_validate(options)


def file_options(options: dict[str, Any]) -> FileOptions:
    return FileOptions.model_validate(options)
