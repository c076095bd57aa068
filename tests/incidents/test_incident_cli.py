"""The incident and alert commands as a user meets them: real processes, exit codes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLAN = """
release:
  name: Checkout leak replay
  service: checkout
  version: "2.3.0"
  date: 2020-01-06T08:00:00+00:00
  deployment_method: canary
people:
  release_owner: {name: Ana Costa}
  monitoring_owner: {name: Ravi Menon}
  participants:
    - {name: Sam Okafor}
source:
  kind: simulator
  seed: 42
  faults:
    - {kind: memory_leak, start: 0m, magnitude: 5.5}
checkpoints: [T+0, T+1h, T+2h, T+4h]
alerting:
  rules:
    - {name: memory-leak, metric: memory_usage, condition: relative, value: 10, for: 10m, severity: critical,
       no_data: ok}
"""


def vigil(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigil", *args, "--db", str(tmp / "v.db")],
        cwd=tmp,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},  # wide enough that tables are not truncated
        timeout=120,
        check=False,
    )


def test_alert_to_incident_to_rca_from_the_command_line(tmp_path: Path, rca_file: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    assert vigil(tmp_path, "release", "create", "--plan", str(plan)).returncode == 0
    assert vigil(tmp_path, "watch", "--simulate").returncode == 0
    listed = vigil(tmp_path, "incident", "list")
    assert "INC-00001" in listed.stdout and "critical" in listed.stdout

    denied = vigil(tmp_path, "incident", "ack", "INC-00001", "--as", "Mallory")
    assert denied.returncode == 3 and "Mallory may not acknowledge an incident" in denied.stderr
    assert vigil(tmp_path, "incident", "ack", "INC-00001", "--as", "Sam Okafor").returncode == 0
    for status in ("investigating", "resolved"):
        done = vigil(tmp_path, "incident", "status", "INC-00001", status, "--as", "Ravi Menon")
        assert done.returncode == 0, done.stderr
    refused = vigil(tmp_path, "incident", "status", "INC-00001", "closed", "--as", "Ana Costa")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert "cannot be closed without a root-cause analysis" in refused.stderr
    assert (
        vigil(tmp_path, "incident", "rca", "INC-00001", "--file", str(rca_file), "--as", "Ravi Menon").returncode == 0
    )
    closed = vigil(tmp_path, "incident", "status", "INC-00001", "closed", "--as", "Ana Costa")
    assert closed.returncode == 0 and "closed" in closed.stdout

    linked = vigil(
        tmp_path,
        "incident",
        "update",
        "INC-00001",
        "--checkpoint",
        "T+2h",
        "--evidence",
        "heap.hprof",
        "--as",
        "Ravi Menon",
    )
    assert linked.returncode == 0, linked.stderr
    bad = vigil(tmp_path, "incident", "update", "INC-00001", "--checkpoint", "T+3h", "--as", "Ravi Menon")
    assert bad.returncode == 1 and "checkpoint T+3h" in bad.stderr
    manual = vigil(
        tmp_path,
        "incident",
        "open",
        "checkout-2.3.0",
        "--title",
        "Receipts sent twice",
        "--severity",
        "low",
        "--as",
        "Sam Okafor",
    )
    assert manual.returncode == 0 and "INC-00002" in manual.stdout
    eff = vigil(tmp_path, "alert", "effectiveness", "--release", "checkout-2.3.0")
    assert eff.returncode == 0 and "memory-leak" in eff.stdout

    facts = tmp_path / "facts.yaml"
    facts.write_text("critical_service: true\nclients_affected_percent: 15\neconomic_impact_eur: 250000\n")
    dora = vigil(tmp_path, "incident", "dora", "INC-00002", "--facts", str(facts), "--as", "Ravi Menon")
    assert dora.returncode == 0, dora.stderr
    assert "major: critical services affected and 2 thresholds met" in dora.stdout
    assert "initial: due" in dora.stdout or "initial: overdue" in dora.stdout
    early = vigil(tmp_path, "incident", "dora", "INC-00002", "--sent", "final", "--as", "Ravi Menon")
    assert early.returncode == 1 and "initial report has not been recorded" in early.stderr

    out = tmp_path / "inc.md"
    assert vigil(tmp_path, "incident", "report", "INC-00001", "--out", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert "# Root-Cause Analysis" in text and "## Five Whys" in text and "[x] Resolved" in text
    assert "**Checkpoint:** T+2h" in text and "Evidence: heap.hprof" in text
    log = vigil(tmp_path, "report", "checkout-2.3.0")
    assert "**Missed Issues:** 1" in log.stdout and "### Issue #2: Receipts sent twice" in log.stdout
