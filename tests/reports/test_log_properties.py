"""Property tests over generated plans: random schedules, metric sets, rollout steps, faults and source
outages (missing data), smoke runs and incidents. Whatever the plan, the monitoring log has every template
section, no unfilled field, and says nothing the store contradicts; the closure report lists the stored
incidents."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from log_checks import PLACEHOLDERS, check_log_against_store
from vigil.clock import ManualClock
from vigil.evidence.archive import evidence_root
from vigil.flows.watch_loop import watch
from vigil.governance.closure import render_closure
from vigil.incidents.models import Incident
from vigil.incidents.service import open_incident
from vigil.plan import parse_plan
from vigil.plan.catalogue import CATALOGUE
from vigil.releases.service import create_release, get_release
from vigil.reports.monitoring_log import monitoring_log_text
from vigil.smoke.service import import_junit
from vigil.store import Store

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OFFSETS = [0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 240, 480, 1440]  # minutes
FAULTS = ["error_spike", "latency_regression", "memory_leak", "throughput_drop", "dependency_outage",
          "source_outage"]


@st.composite
def plans(draw: st.DrawFn) -> str:
    checkpoints = sorted(draw(st.sets(st.sampled_from(OFFSETS), min_size=1, max_size=5)))
    metrics = draw(st.lists(st.sampled_from(sorted(CATALOGUE)), min_size=1, max_size=6, unique=True))
    method = draw(st.sampled_from(["canary", "blue-green", "rolling", "big-bang"]))
    faults = draw(st.lists(st.tuples(st.sampled_from(FAULTS), st.sampled_from(OFFSETS),
                                     st.sampled_from([10, 30, 120, 2000]), st.sampled_from([1.0, 3.0, 8.0])),
                           max_size=2))
    steps = sorted(draw(st.sets(st.sampled_from(OFFSETS), max_size=3)))
    percents = sorted(draw(st.lists(st.sampled_from([5, 10, 25, 50, 100]), min_size=len(steps),
                                    max_size=len(steps))))
    rollout = "".join(f"\n  - {{at: {at}m, percent: {p}}}" for at, p in zip(steps, percents, strict=True))
    fault_yaml = ", ".join(f"{{kind: {k}, start: {s}m, duration: {d}m, magnitude: {m}}}"
                           for k, s, d, m in faults)
    return f"""release:
  name: generated
  service: gen
  version: "2"
  date: {T0.isoformat()}
  deployment_method: {method}
people:
  release_owner: {{name: A}}
  monitoring_owner: {{name: B}}
  sponsor: {{name: S}}
source:
  kind: simulator
  seed: {draw(st.integers(0, 10_000))}
  faults: [{fault_yaml}]
metrics: [{", ".join(f"{{name: {m}}}" for m in metrics)}]
checkpoints: [{", ".join(f"{c}m" for c in checkpoints)}]
evaluation_window: 5m
{"rollout:" + rollout if steps else ""}
"""


def junit(passed: int, failed: int) -> bytes:
    cases = [f'<testcase classname="smoke" name="ok{i}" time="0.1"/>' for i in range(passed)]
    cases += [f'<testcase classname="smoke" name="bad{i}"><failure message="HTTP 500"/></testcase>'
              for i in range(failed)]
    return f"<testsuite>{''.join(cases)}</testsuite>".encode()


# Each example watches a whole release, so no shrinking: a failure is reported as generated.
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(text=plans(), smoke=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)).filter(sum), max_size=2),
       incidents=st.lists(st.sampled_from(["critical", "high", "medium", "low"]), max_size=3),
       stop=st.sampled_from([None, 0.5]))
def test_every_generated_log_is_complete_and_true_to_the_store(text: str, smoke: list[tuple[int, int]],
                                                              incidents: list[str], stop: float | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'vigil.db'}")
        try:
            plan = parse_plan(text, "generated.yaml")
            release = create_release(store, plan, text, "generated.yaml", now=T0)
            root = evidence_root(store.url)
            for i, (ok, bad) in enumerate(smoke):
                path = Path(folder) / f"smoke{i}.xml"
                path.write_bytes(junit(ok, bad))
                import_junit(store, root, release.slug, path, actor="A", now=T0 + timedelta(minutes=i))
            with store.write() as session:
                for n, severity in enumerate(incidents):
                    open_incident(session, release_id=release.id, title=f"Generated problem {n}",
                                  severity=severity, actor="B", now=T0 + timedelta(minutes=n))
            clock = ManualClock(T0)
            last = plan.checkpoints[-1]
            if stop is None:
                watch(store, clock, [release.slug])
                moment = clock.now()
            else:  # part-way: only what is due by then is evaluated
                moment = T0 + last * stop
                from vigil.watch import evaluate_checkpoint

                for offset, name in zip(plan.checkpoints, plan.checkpoint_names(), strict=True):
                    if T0 + offset + plan.evaluation_window <= moment:
                        evaluate_checkpoint(store, release.slug, name, moment)
            with store.read() as session:
                stored = get_release(session, release.slug)
                log = monitoring_log_text(session, stored, moment)
                check_log_against_store(log, session, stored)
                closure = render_closure(session, stored, root, moment)
                tickets = list(session.scalars(select(Incident.ticket).where(Incident.release_id == stored.id)))
                block = closure.split("## Incidents", 1)[1].split("## ", 1)[0]
                assert all(t in block for t in tickets)
                assert ("No incidents were recorded" in block) == (not tickets)
                assert not PLACEHOLDERS.search(closure), PLACEHOLDERS.search(closure)
        finally:
            store.dispose()
