"""Reading metrics from Prometheus over its HTTP API (``/api/v1/query`` and ``/api/v1/query_range``).

Each metric's ``query`` is PromQL with ``$cohort`` where the cohort's label value goes, so the baseline
and the new version are told apart by label selectors the plan names (``version="stable"`` vs
``version="canary"``). A query must come back as exactly one series: several series or none are
reported as such (``SourceError``), never averaged or read as zero. Connection failures, timeouts and
5xx/429 answers are retried with exponential backoff before giving up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import numpy as np

from vigil.errors import SourceError
from vigil.metrics.base import Cohort, Series
from vigil.metrics.config import Auth, PrometheusOptions
from vigil.plan.schema import Metric

_RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_POINTS = 10_000
Sleep = Callable[[float], None]


class PrometheusClient:
    """The two query endpoints, with auth, timeouts and retries; answers are the API's ``data`` field."""

    def __init__(self, url: str, options: PrometheusOptions, *, transport: httpx.BaseTransport | None = None,
                 sleep: Sleep = time.sleep) -> None:
        self._options, self._sleep = options, sleep
        self._base, self._transport = url.rstrip("/"), transport

    def _client(self) -> httpx.Client:
        """A short-lived client per query: sources are rebuilt for every checkpoint, and a long-lived one
        would leave its connections to the garbage collector. Secrets are read from the environment here,
        so a missing one is this query's error (no data), not a crash of the whole checkpoint."""
        headers = dict(self._options.headers)
        auth = _auth(self._options.auth, headers)
        return httpx.Client(base_url=self._base, headers=headers, auth=auth, transport=self._transport,
                            timeout=self._options.timeout.total_seconds())

    def instant(self, query: str, at: datetime) -> dict[str, Any]:
        return self._call("/api/v1/query", {"query": query, "time": f"{at.timestamp():.3f}"})

    def range(self, query: str, start: datetime, end: datetime, step: timedelta) -> dict[str, Any]:
        return self._call("/api/v1/query_range", {"query": query, "start": f"{start.timestamp():.3f}",
                                                  "end": f"{end.timestamp():.3f}",
                                                  "step": f"{step.total_seconds():g}"})

    def _call(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        attempts = self._options.retries + 1
        delay = self._options.backoff.total_seconds()
        problem = ""
        for attempt in range(attempts):
            if attempt:
                self._sleep(delay)
                delay *= 2
            try:
                # POST keeps long PromQL out of the URL (the API accepts both).
                with self._client() as http:
                    response = http.post(path, data=form)
            except httpx.TimeoutException:
                problem = f"timed out after {self._options.timeout.total_seconds():g}s"
                continue
            except httpx.TransportError as exc:
                problem = f"cannot reach {self._base}: {exc}"
                continue
            if response.status_code in _RETRY_STATUS:
                problem = f"answered HTTP {response.status_code}{_api_error(response)}"
                continue
            return _data(response)
        raise SourceError(f"Prometheus {problem} ({attempts} attempt{'s' if attempts > 1 else ''})")


def _auth(auth: Auth | None, headers: dict[str, str]) -> httpx.Auth | None:
    if auth is None:
        return None
    token = auth.bearer_token or (_env(auth.bearer_token_env) if auth.bearer_token_env else None)
    if token:
        headers["Authorization"] = f"Bearer {token}"
        return None
    if auth.username is not None:
        password = auth.password or (_env(auth.password_env) if auth.password_env else "")
        return httpx.BasicAuth(auth.username, password or "")
    return None


def _env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise SourceError(f"the environment variable {name} named in the plan's auth is not set")
    return value


def _api_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return f": {body.get('error')}" if isinstance(body, dict) and body.get("error") else ""


def _data(response: httpx.Response) -> dict[str, Any]:
    if response.status_code in (401, 403):
        raise SourceError(f"Prometheus refused the credentials (HTTP {response.status_code})")
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser goes
        raise SourceError(f"Prometheus answered HTTP {response.status_code}, not JSON") from None
    if not isinstance(body, dict):
        raise SourceError(f"Prometheus answered HTTP {response.status_code} with a JSON {type(body).__name__}, "
                          "not an API object")
    if response.status_code >= 400 or body.get("status") != "success":
        raise SourceError(f"Prometheus rejected the query (HTTP {response.status_code}): "
                          f"{body.get('errorType', '')} {body.get('error', '')}".rstrip())
    data = body.get("data")
    if not isinstance(data, dict):
        raise SourceError("Prometheus answered without a data field")
    return data


class PrometheusSource:
    """A ``MetricSource`` over one Prometheus server."""

    def __init__(self, name: str, url: str, options: PrometheusOptions, *,
                 transport: httpx.BaseTransport | None = None, sleep: Sleep = time.sleep) -> None:
        self.name, self._options = name, options
        self._client = PrometheusClient(url, options, transport=transport, sleep=sleep)

    def query_for(self, metric: Metric, cohort: Cohort) -> str:
        if not metric.query:
            raise SourceError(f"metric '{metric.name}' has no query for Prometheus source '{self.name}'")
        label = getattr(self._options.cohorts, cohort)
        return metric.query.replace("${cohort}", label).replace("$cohort", label)

    def fetch(self, metric: Metric, cohort: Cohort, start: datetime, end: datetime,
              step: timedelta | None = None) -> Series:
        query = self.query_for(metric, cohort)
        if self._options.mode == "instant":
            data = self._client.instant(query, end)
            return _one_series(data, query, instant=True)
        step = query_step(self._options.step, step, end - start)
        # The API includes the start point; the source contract is start < t <= end (a sample stamped
        # outside the range asked for is not of this window).
        series = _one_series(self._client.range(query, start, end, step), query, instant=False)
        keep = (series.timestamps > start.timestamp()) & (series.timestamps <= end.timestamp())
        return Series(series.timestamps[keep], series.values[keep])


def query_step(plan_step: timedelta | None, wanted: timedelta | None, span: timedelta) -> timedelta:
    """The resolution of a range query over ``span``: the plan's step, else the caller's, else 60 points.

    Prometheus refuses more than 11,000 points per series, so long ranges (a leak check over the whole
    release) widen the step rather than fail; and it takes no step under a second here.
    """
    return max(plan_step or wanted or span / 60, timedelta(seconds=1), span / MAX_POINTS)


def _one_series(data: dict[str, Any], query: str, *, instant: bool) -> Series:
    """The one series of an answer, checked field by field: anything not shaped as the API documents is
    this metric's ``SourceError`` (no data), never an exception out of the evaluation."""
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar" and isinstance(result, list):
        return _points([result], query)
    expected = "vector" if instant else "matrix"
    if kind != expected or not isinstance(result, list):
        raise SourceError(f"Prometheus returned a {_shown(kind)} for {query!r}, expected a {expected}")
    if not result:
        raise SourceError(f"no series matched {query!r}")
    if not all(isinstance(r, dict) for r in result):
        raise SourceError(f"Prometheus returned a malformed {expected} for {query!r} (a series is not an object)")
    if len(result) > 1:
        shown = "; ".join(_labels(r.get("metric")) for r in result[:3])
        more = "; …" if len(result) > 3 else ""
        raise SourceError(f"{query!r} returned {len(result)} series ({shown}{more}); "
                          "aggregate it (e.g. sum(...)) or narrow the label selector")
    only = result[0]
    pairs = [only.get("value")] if instant else only.get("values")
    if not isinstance(pairs, list):
        raise SourceError(f"Prometheus returned a series without {'a value' if instant else 'values'} for {query!r}")
    return _points(pairs, query)


def _points(pairs: list[Any], query: str) -> Series:
    """Samples from the API's ``[unix_seconds, "value"]`` pairs, in time order.

    Values arrive as strings; "NaN", "+Inf" and "-Inf" parse to the floats they name and are kept as such
    (judgement treats non-finite samples as missing, not zero). A pair of another shape, a timestamp that
    is not a finite number, or two samples at one time is a malformed answer.
    """
    if not all(isinstance(p, list | tuple) and len(p) == 2 for p in pairs):
        raise SourceError(f"Prometheus sent a sample that is not a [timestamp, value] pair for {query!r}")
    ts = np.array([_timestamp(p[0]) for p in pairs], dtype=np.float64)
    values = np.array([_value(p[1]) for p in pairs], dtype=np.float64)
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    if ts.size > 1 and bool(np.any(np.diff(ts) == 0)):
        raise SourceError(f"Prometheus sent two samples with the same timestamp for {query!r}")
    return Series(ts, values)


def _timestamp(raw: Any) -> float:
    # JSON numbers only (a bool is an int to Python, a string is not a timestamp here).
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not np.isfinite(float(raw)):
        raise SourceError(f"Prometheus sent a sample timestamp that is not a finite number: {_shown(raw)}")
    return float(raw)


def _value(text: Any) -> float:
    # The API sends values as strings; a bare JSON number is tolerated, anything else is not a value.
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise SourceError(f"Prometheus sent a sample value that is not a number: {_shown(text)}")
    try:
        return float(text)
    except ValueError:
        raise SourceError(f"Prometheus sent a sample value that is not a number: {_shown(text)}") from None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _labels(labels: Any) -> str:
    if not isinstance(labels, dict) or not labels:
        return "{}"
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items(), key=lambda kv: str(kv[0]))) + "}"

