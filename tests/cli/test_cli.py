"""The CLI as a user meets it: real processes, real exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from plan_text import plan_header
from vigil.releases.models import Release
from vigil.store import Store


def vigil(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def test_demo_writes_the_log_and_catches_the_leak(tmp_path: Path) -> None:
    done = vigil("demo", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Rollback decided at T+2h" in done.stdout
    log = (tmp_path / "out" / "monitoring-log.md").read_text(encoding="utf-8")
    assert "**Decision:** [ ] Continue [x] Rollback" in log
    assert "**Rollback Method:** [x] Automatic [ ] Manual" in log
    assert "Memory leaks detected: [x] Yes" in log
    assert (tmp_path / "vigil.db").exists()
    assert "sealed as evidence #1" in done.stdout
    verified = vigil("verify", cwd=tmp_path)  # the sealed log's hash and the audit chain both check out
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = vigil("demo", "--out", "out", cwd=tmp_path)  # a second demo on the same store gets a new name
    assert again.returncode == 0 and "checkout-2.3.0-demo-2" in again.stdout


def test_bad_plan_is_one_line_with_file_and_line_and_stores_nothing(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("release:\n  name: x\n  servce: y\n")
    done = vigil("release", "create", "--plan", str(plan), "--db", str(tmp_path / "v.db"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert f"{plan}:3: release.servce: unknown field (did you mean 'service'?)" in done.stderr
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Release)) == 0


def test_a_short_anomaly_window_is_a_warning_with_its_line_and_the_release_is_registered(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_header(datetime(2026, 11, 24, 9, tzinfo=UTC)) + "alerting:\n  rules:\n"
                    "    - name: odd\n      metric: cpu_usage\n      condition: anomaly\n      value: 0.999\n"
                    "      window: 1h\n")
    done = vigil("release", "create", "--plan", str(plan), "--db", str(tmp_path / "v.db"), cwd=tmp_path)
    assert done.returncode == 0 and "Registered release" in done.stdout
    assert f"warning: {plan}:16: alerting.rules.0.window: holds 240 samples" in done.stderr


def test_unknown_release_is_a_clear_error(tmp_path: Path) -> None:
    done = vigil("status", "nope", "--db", str(tmp_path / "v.db"), cwd=tmp_path)
    assert done.returncode == 1 and "no release 'nope'" in done.stderr and "Traceback" not in done.stderr


def test_release_create_watch_and_report_from_the_command_line(tmp_path: Path) -> None:
    plan = Path(__file__).resolve().parents[2] / "src" / "vigil" / "examples" / "checkout-leak.yaml"
    db = str(tmp_path / "v.db")
    assert vigil("release", "create", "--plan", str(plan), "--db", db, cwd=tmp_path).returncode == 0
    watched = vigil("watch", "checkout-2.3.0", "--simulate", "--db", db, cwd=tmp_path)
    assert watched.returncode == 0, watched.stderr
    assert "checkout-2.3.0 T+2h: critical → rollback" in watched.stdout
    listed = vigil("release", "list", "--db", db, cwd=tmp_path)
    assert "rolled_back" in listed.stdout
    report = vigil("report", "checkout-2.3.0", "--seal", "--db", db, cwd=tmp_path)
    assert report.returncode == 0 and report.stdout.startswith("# Post-Release Monitoring Log")
    assert "Sealed as evidence #1" in report.stderr
    gate = vigil("gate", "checkout-2.3.0", "--db", db, cwd=tmp_path)
    assert gate.returncode != 0 and "AUD-03" not in gate.stderr.split("unmet:")[-1]
    assert vigil("verify", "--db", db, cwd=tmp_path).returncode == 0


def test_help_does_not_load_heavy_modules(tmp_path: Path) -> None:
    probe = ("import sys\nfrom vigil.cli.app import root\n"
             "try:\n    root(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
             "heavy = [m for m in ('scipy', 'fastapi', 'uvicorn', 'sqlalchemy', 'vigil.analysis') "
             "if m in sys.modules]\nprint('HEAVY', heavy)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "HEAVY []" in done.stdout
