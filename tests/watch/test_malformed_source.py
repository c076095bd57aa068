"""A metric source that answers HTTP 200 with garbage is "no data" for that metric, never a crash, and one
bad release never stops the watch of the others.

A real HTTP server on loopback answers the real Prometheus client (``vigil.metrics.prometheus``) with each
kind of malformed body, and with bodies hypothesis generates; the property is that ``fetch`` either
returns samples that keep the source contract (time-ordered, distinct, finite timestamps inside the
window) or raises ``SourceError`` — nothing else.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from malformed_prometheus import Answers, malformed_prometheus
from plan_text import plan_header
from vigil.clock import ManualClock
from vigil.errors import SourceError
from vigil.flows import checkpoint_round, watch_loop
from vigil.flows.watch_loop import watch
from vigil.metrics.config import prometheus_options
from vigil.metrics.prometheus import PrometheusSource
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import create_release
from vigil.store import Store
from vigil.store.audit import AuditEntry, verify_chain
from vigil.watch import evaluate_checkpoint
from vigil.watch.models import Checkpoint, MetricReading

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
START, END = T0 + timedelta(minutes=10), T0 + timedelta(minutes=15)  # the T+15m window of a 5 m plan
_SERIAL = itertools.count()


def _ok(values: list[list[Any]], kind: str = "matrix") -> bytes:
    key = "values" if kind == "matrix" else "value"
    series = {"metric": {}, key: values if kind == "matrix" else values[0]}
    return json.dumps({"status": "success", "data": {"resultType": kind, "result": [series]}}).encode()


def _in_window(n: int = 5) -> list[float]:
    return [START.timestamp() + 60.0 * (i + 1) for i in range(n)]


def _envelope(data: Any) -> bytes:
    return json.dumps({"status": "success", "data": data}).encode()


MALFORMED: dict[str, bytes] = {
    "html instead of JSON": b"<html><body>502 from the proxy</body></html>",
    "empty body": b"",
    "JSON but not an object": b"[1, 2, 3]",
    "JSON string": b'"success"',
    "no data field": b'{"status": "success"}',
    "data is a list": _envelope([1, 2]),
    "wrong resultType": _envelope({"resultType": "streams", "result": []}),
    "a vector instead of a matrix": _ok([[_in_window()[0], "1"]], kind="vector"),
    "result is not a list": _envelope({"resultType": "matrix", "result": {"a": 1}}),
    "a series that is not an object": _envelope({"resultType": "matrix", "result": ["up"]}),
    "a series without values": _envelope({"resultType": "matrix", "result": [{"metric": {}}]}),
    "values is a string": _envelope({"resultType": "matrix", "result": [{"metric": {}, "values": "1,2"}]}),
    "values that are not pairs": _ok([[t] for t in _in_window()]),
    "values that are numbers": _envelope({"resultType": "matrix", "result": [{"values": [1, 2, 3]}]}),
    "values that are objects": _ok([{"t": t, "v": "1"} for t in _in_window()]),  # type: ignore[misc]
    "non-numeric value strings": _ok([[t, "fast"] for t in _in_window()]),
    "null values": _ok([[t, None] for t in _in_window()]),
    "string timestamps": _ok([[str(t), "1"] for t in _in_window()]),
    "infinite timestamps": b'{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1e999,"1"]]}]}}',
    "NaN timestamps": b'{"status":"success","data":{"resultType":"matrix","result":[{"values":[[NaN,"1"]]}]}}',
    "duplicate timestamps": _ok([[_in_window()[0], "1"], [_in_window()[0], "2"]]),
    "several series with odd labels": _envelope({"resultType": "matrix", "result": [
        {"metric": ["x"], "values": []}, {"metric": None, "values": []}]}),
    "nested deeper than a parser goes": b"[" * 100_000 + b"]" * 100_000,
}
# Well-formed JSON whose samples are not evidence: the client returns them, judgement sees no data.
NOT_EVIDENCE: dict[str, bytes] = {
    "NaN and Inf value strings": _ok([[t, v] for t, v in zip(_in_window(), ["NaN", "+Inf", "-Inf", "NaN", "NaN"],
                                                              strict=True)]),
    "timestamps far in the future": _ok([[1e15 + i, "1"] for i in range(5)]),
    "no series matched": _envelope({"resultType": "matrix", "result": []}),
}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Answers]]:
    with malformed_prometheus() as running:
        yield running


def _source(url: str) -> PrometheusSource:
    return PrometheusSource("stub", url, prometheus_options({"retries": 0, "step": "1m"}))


def _metric() -> Any:
    return parse_plan(_plan("http://127.0.0.1:9")).metrics[0]


def _plan(url: str, method: str = "canary") -> str:
    return plan_header(T0, method=method) + f"""source:
  kind: prometheus
  url: {url}
  options: {{retries: 0, step: 1m}}
metrics:
  - {{name: error_rate, query: 'sum(rate(errors{{version="$cohort"}}[1m]))'}}
checkpoints: [T+0, T+15m]
"""


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_each_malformed_answer_is_a_source_error_for_the_client(server: tuple[str, Answers], body: bytes) -> None:
    url, answers = server
    answers.body, answers.status = body, 200
    with pytest.raises(SourceError):
        _source(url).fetch(_metric(), "new", START, END)


@pytest.mark.parametrize("body", [*MALFORMED.values(), *NOT_EVIDENCE.values()],
                         ids=[*MALFORMED.keys(), *NOT_EVIDENCE.keys()])
def test_each_malformed_answer_is_no_data_for_that_metric_and_holds(server: tuple[str, Answers], body: bytes,
                                                                     sqlite_store: Store) -> None:
    url, answers = server
    answers.body, answers.status = body, 200
    text = _plan(url)
    release = create_release(sqlite_store, parse_plan(text), text, "plan.yaml", now=T0, slug=f"r{next(_SERIAL)}")
    outcome = evaluate_checkpoint(sqlite_store, release.slug, "T+15m", END)
    assert (outcome.health, outcome.go_no_go) == ("unknown", "hold")
    with sqlite_store.read() as session:
        reading = session.scalars(select(MetricReading).join(Checkpoint)
                                  .where(Checkpoint.id == outcome.checkpoint_id)).one()
        assert reading.status == "no_data" and reading.current is None
        assert reading.reason.startswith("No data")


# Bodies near the API's shape with arbitrary leaves, arbitrary JSON, and arbitrary bytes.
leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8),
                 st.sampled_from(["NaN", "+Inf", "-Inf", "1e308", "-1", "0x10", " 1 "]))
json_value = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                          max_leaves=20)
timestamp = st.one_of(st.floats(min_value=START.timestamp() - 600, max_value=END.timestamp() + 600), leaf)
pair = st.one_of(st.tuples(timestamp, leaf).map(list), json_value)
series = st.fixed_dictionaries({"metric": st.one_of(st.dictionaries(st.text(max_size=4), st.text(max_size=4)),
                                                    json_value),
                                "values": st.one_of(st.lists(pair, max_size=12), json_value),
                                "value": st.one_of(pair, json_value)})
shaped = st.fixed_dictionaries({
    "status": st.sampled_from(["success", "error", None]),
    "data": st.one_of(st.fixed_dictionaries({"resultType": st.sampled_from(["matrix", "vector", "scalar", "x"]),
                                             "result": st.one_of(st.lists(series, max_size=2), json_value)}),
                      json_value)})
bodies = st.one_of(shaped.map(lambda b: json.dumps(b).encode()), json_value.map(lambda b: json.dumps(b).encode()),
                   st.binary(max_size=64))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, instant=st.booleans())
def test_any_answer_is_samples_keeping_the_contract_or_a_source_error(server: tuple[str, Answers], body: bytes,
                                                                     instant: bool) -> None:
    url, answers = server
    answers.body, answers.status = body, 200
    options = {"retries": 0, "step": "1m", **({"mode": "instant"} if instant else {})}
    source = PrometheusSource("stub", url, prometheus_options(options))
    try:
        got = source.fetch(_metric(), "new", START, END)
    except SourceError:
        return
    assert got.timestamps.shape == got.values.shape
    assert bool(np.all(np.isfinite(got.timestamps)))
    assert bool(np.all(np.diff(got.timestamps) > 0))
    if not instant:
        assert bool(np.all((got.timestamps > START.timestamp()) & (got.timestamps <= END.timestamp())))


def _two_releases(store: Store, broken_url: str) -> tuple[Release, Release]:
    good_text = plan_header(T0, version="good") + "metrics: [{name: error_rate}]\ncheckpoints: [T+0, T+15m, T+30m]\n"
    good = create_release(store, parse_plan(good_text), good_text, "good.yaml", now=T0, slug="good")
    bad_text = _plan(broken_url).replace("checkpoints: [T+0, T+15m]", "checkpoints: [T+0, T+15m, T+30m]")
    bad = create_release(store, parse_plan(bad_text), bad_text, "bad.yaml", now=T0, slug="broken")
    return good, bad


def _states(store: Store, release_id: int) -> dict[str, str | None]:
    with store.read() as session:
        rows = session.scalars(select(Checkpoint).where(Checkpoint.release_id == release_id))
        return {c.name: c.decision.health if c.decision else None for c in rows}


def test_a_watch_over_two_releases_goes_on_when_one_source_answers_garbage(server: tuple[str, Answers],
                                                                           store: Store) -> None:
    url, answers = server
    answers.body, answers.status = MALFORMED["values that are not pairs"], 200
    good, bad = _two_releases(store, url)
    watch(store, ManualClock(T0), None)  # every active release, as `vigil watch` with no names
    assert set(_states(store, good.id)) == {"T+0", "T+15m", "T+30m"}
    assert set(_states(store, bad.id).values()) == {"unknown"}  # every checkpoint stored, none healthy


def test_a_release_whose_handling_crashes_is_recorded_and_the_others_finish(
        server: tuple[str, Answers], store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beside the real test above: a failure that is not a source error (here injected into the broken
    release's evaluation) is audited against that release, and the watch still finishes the others."""
    url, _ = server
    good, bad = _two_releases(store, url)
    real = checkpoint_round.evaluate_checkpoint

    def evaluate(store_: Store, release_id: int | str, name: str, now: datetime) -> watch_loop.Outcome:
        if release_id == bad.id:
            raise RuntimeError("disk full while reading the plan")
        return real(store_, release_id, name, now)

    monkeypatch.setattr(checkpoint_round, "evaluate_checkpoint", evaluate)
    heard: list[tuple[int, str]] = []
    watch(store, ManualClock(T0), None, on_failure=lambda rid, problem: heard.append((rid, problem)))
    assert set(_states(store, good.id)) == {"T+0", "T+15m", "T+30m"}
    assert _states(store, bad.id) == {}
    assert heard == [(bad.id, "RuntimeError: disk full while reading the plan")] * watch_loop.MAX_FAILURES
    with store.read() as session:
        failed = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "watch.failed")))
        assert [e.release_id for e in failed] == [bad.id] * watch_loop.MAX_FAILURES
        assert failed[-1].payload["given_up_for_this_run"] is True
        assert verify_chain(session) == []
