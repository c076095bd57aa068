"""Replay on a real incident: NAB's EC2 autoscaling-group misconfiguration (CPU utilisation).

The series is NAB's own ``timestamp,value`` CSV, vendored under tests/data/nab (no cohort
column: a big-bang change compared with the hour before it). The change of 12 July 2014 pushed CPU from
about 42 % to about 55 %; replaying a plan over it must roll back, and the same plan over the quiet day
before must not — which is how a team checks a threshold against its last incident.
"""

from __future__ import annotations

from pathlib import Path

from vigil.store import Store
from vigil.watch.replay import replay

PLAN = """release:
  name: ASG launch-configuration change
  service: web-asg
  version: lc-{day}
  date: 2014-07-{day}T00:00:00Z
  deployment_method: big-bang
people:
  release_owner: {{name: Ana}}
  monitoring_owner: {{name: Ravi}}
metrics: [{{name: cpu_usage}}]
checkpoints: [T+0, T+15m, T+30m, T+1h, T+2h, T+4h, T+8h]
evaluation_window: 30m
baseline: pre_deploy
rollback: {{consecutive_warnings: {warnings}}}
"""


def _data(nab: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "cpu_usage.csv").symlink_to(
        nab / "data" / "realKnownCause" / "cpu_utilization_asg_misconfiguration.csv")
    return data


def test_the_misconfiguration_is_rolled_back_and_the_quiet_day_is_not(nab: Path, tmp_path: Path) -> None:
    data = _data(nab, tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'replay.db'}")

    incident = replay(store, PLAN.format(day=12, warnings=2), "asg.yaml", data)
    verdicts = [(e.name, e.health, e.decision) for e in incident.events]
    assert verdicts[:3] == [("T+0", "healthy", "continue"), ("T+15m", "warning", "continue"),
                            ("T+30m", "warning", "rollback")]
    cpu = incident.events[1].breaches[0]
    assert cpu.metric == "cpu_usage" and cpu.value is not None and cpu.baseline is not None
    assert 40 < cpu.baseline < 45 and cpu.value > 1.25 * cpu.baseline  # beyond the 25 % warning limit

    # Tuning: asking for three warnings in a row, the real series' brief dip back to normal at T+1h
    # resets the count, and the rollback would have come only at T+8h.
    patient = replay(store, PLAN.format(day=12, warnings=3), "asg.yaml", data)
    assert [e.health for e in patient.events] == ["healthy", "warning", "warning", "healthy", "warning",
                                                  "warning", "warning"]
    assert patient.rollback_at == "T+8h"

    quiet = replay(store, PLAN.format(day=11, warnings=2), "asg.yaml", data)
    assert quiet.rollback_at is None
    assert {e.decision for e in quiet.events} == {"continue"}
