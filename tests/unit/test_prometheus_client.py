"""The Prometheus source against a fake HTTP API (httpx.MockTransport); the real server is in integration."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from vigil.errors import SourceError
from vigil.metrics.config import prometheus_options
from vigil.metrics.prometheus import PrometheusSource
from vigil.plan.schema import Metric

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = START + timedelta(minutes=5)
METRIC = Metric(name="p99_latency", label="P99", query='histogram_quantile(0.99, x{version="$cohort"})')

Handler = Callable[[httpx.Request], httpx.Response]


def _matrix(*series: tuple[dict[str, str], list[tuple[float, str]]]) -> dict[str, object]:
    return {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": labels, "values": [[t, v] for t, v in values]} for labels, values in series]}}


def _source(handler: Handler, sleeps: list[float] | None = None, **options: object) -> PrometheusSource:
    opts = prometheus_options({"cohorts": {"baseline": "stable", "new": "canary"}, **options})
    slept = sleeps if sleeps is not None else []
    return PrometheusSource("prom", "http://prom.test:9090", opts, transport=httpx.MockTransport(handler),
                            sleep=slept.append)


def _form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_range_query_substitutes_the_cohort_and_keeps_samples_after_start() -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, _form(request)))
        t0 = START.timestamp()
        return httpx.Response(200, json=_matrix(({}, [(t0, "1"), (t0 + 60, "2.5"), (t0 + 120, "3")])))

    series = _source(handler).fetch(METRIC, "new", START, END)
    path, form = seen[0]
    assert path == "/api/v1/query_range"
    assert form["query"] == 'histogram_quantile(0.99, x{version="canary"})'
    assert float(form["start"]) == START.timestamp() and float(form["end"]) == END.timestamp()
    assert form["step"] == "5"  # 5 minutes / 60
    assert series.values.tolist() == [2.5, 3.0]  # the sample at `start` itself is outside (start, end]
    _source(handler).fetch(METRIC, "baseline", START, END)
    assert 'version="stable"' in seen[1][1]["query"]


def test_instant_mode_reads_one_value_at_the_window_end() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/query"
        assert float(_form(request)["time"]) == END.timestamp()
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"version": "canary"}, "value": [END.timestamp(), "0.25"]}]}})

    series = _source(handler, mode="instant").fetch(METRIC, "new", START, END)
    assert series.values.tolist() == [0.25]


def test_nan_and_infinities_are_parsed_and_then_dropped_not_zeroed() -> None:
    t0 = START.timestamp()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=_matrix(({}, [(t0 + 1, "NaN"), (t0 + 2, "+Inf"), (t0 + 3, "-Inf"),
                                                      (t0 + 4, "7")])))

    series = _source(handler).fetch(METRIC, "new", START, END)
    assert math.isnan(series.values[0]) and series.values[1] == math.inf and series.values[2] == -math.inf
    assert series.finite().values.tolist() == [7.0]


def test_several_series_are_refused_with_their_labels() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=_matrix(({"pod": "a"}, [(START.timestamp() + 1, "1")]),
                                                ({"pod": "b"}, [(START.timestamp() + 1, "2")])))

    with pytest.raises(SourceError, match=r'returned 2 series \(\{pod="a"\}; \{pod="b"\}\)'):
        _source(handler).fetch(METRIC, "new", START, END)


def test_no_series_is_reported_not_read_as_zero() -> None:
    with pytest.raises(SourceError, match="no series matched"):
        _source(lambda r: httpx.Response(200, json=_matrix())).fetch(METRIC, "new", START, END)


def test_bearer_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROM_TOKEN", "s3cret")
    headers: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json=_matrix(({}, [(START.timestamp() + 1, "1")])))

    _source(handler, auth={"bearer_token_env": "PROM_TOKEN"}).fetch(METRIC, "new", START, END)
    assert headers == ["Bearer s3cret"]


def test_basic_auth_and_refused_credentials() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        expected = "Basic " + base64.b64encode(b"vigil:pw").decode()
        ok = request.headers.get("authorization") == expected
        return httpx.Response(200, json=_matrix(({}, [(START.timestamp() + 1, "1")]))) if ok else \
            httpx.Response(401, text="unauthorized")

    good = _source(handler, auth={"username": "vigil", "password": "pw"})
    assert len(good.fetch(METRIC, "new", START, END)) == 1
    bad = _source(handler, auth={"username": "vigil", "password": "wrong"})
    with pytest.raises(SourceError, match="refused the credentials"):
        bad.fetch(METRIC, "new", START, END)


def test_transient_failures_are_retried_with_doubling_backoff() -> None:
    ok = httpx.Response(200, json=_matrix(({}, [(START.timestamp() + 1, "4")])))
    busy = httpx.Response(503, json={"status": "error", "error": "busy"})
    answers = iter([httpx.ConnectError("refused"), busy, httpx.ReadTimeout("slow"), ok])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    sleeps: list[float] = []
    series = _source(handler, sleeps, retries=3, backoff="1s").fetch(METRIC, "new", START, END)
    assert series.values.tolist() == [4.0]
    assert sleeps == [1.0, 2.0, 4.0]


def test_gives_up_after_the_retries_and_says_why() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(502, text="bad gateway")

    sleeps: list[float] = []
    with pytest.raises(SourceError, match=r"answered HTTP 502 \(3 attempts\)"):
        _source(handler, sleeps, retries=2, backoff="0.5s").fetch(METRIC, "new", START, END)
    assert len(calls) == 3 and sleeps == [0.5, 1.0]


def test_a_bad_query_is_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(400, json={"status": "error", "errorType": "bad_data", "error": "parse error"})

    with pytest.raises(SourceError, match=r"rejected the query .*parse error"):
        _source(handler).fetch(METRIC, "new", START, END)
    assert calls == [1]


def test_connection_refused_on_a_real_closed_port_is_a_source_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    opts = prometheus_options({"retries": 1, "backoff": "0s", "timeout": "2s"})
    source = PrometheusSource("prom", f"http://127.0.0.1:{port}", opts, sleep=lambda _: None)
    with pytest.raises(SourceError, match=r"cannot reach .*\(2 attempts\)"):
        source.fetch(METRIC, "new", START, END)


def test_long_ranges_widen_the_step_to_stay_under_the_point_limit() -> None:
    steps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        steps.append(float(_form(request)["step"]))
        return httpx.Response(200, json=_matrix(({}, [(START.timestamp() + 1, "1")])))

    _source(handler, step="1s").fetch(METRIC, "new", START, START + timedelta(hours=24))
    assert steps == [8.64]  # 86,400 one-second points would be refused; 10,000 are not


def test_a_missing_secret_is_this_querys_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROM_TOKEN_UNSET", raising=False)
    source = _source(lambda r: httpx.Response(200, json=_matrix()), auth={"bearer_token_env": "PROM_TOKEN_UNSET"})
    with pytest.raises(SourceError, match=r"PROM_TOKEN_UNSET .* is not set"):
        source.fetch(METRIC, "new", START, END)


def test_a_callers_step_is_used_unless_the_plan_sets_one() -> None:
    steps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        steps.append(float(_form(request)["step"]))
        return httpx.Response(200, json=_matrix(({}, [(START.timestamp() + 1, "1")])))

    hours = START + timedelta(hours=4)
    _source(handler).fetch(METRIC, "new", START, hours, timedelta(seconds=14.4))  # an anomaly rule's request
    _source(handler, step="1m").fetch(METRIC, "new", START, hours, timedelta(seconds=14.4))
    _source(handler).fetch(METRIC, "new", START, hours)
    assert steps == [14.4, 60.0, 240.0]
