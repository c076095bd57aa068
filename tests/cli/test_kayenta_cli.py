"""`vigil release create` with ``judge: kayenta``: the config is found beside the plan, whatever the cwd,
and a malformed one is a one-line error naming the JSON file, line and field, storing nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from plan_text import plan_header
from vigil.plan import parse_plan
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.store import Store


def vigil(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


CONFIG = Path(__file__).parent.parent / "data" / "kayenta" / "canary-config.json"
METRICS = """metrics:
  - {name: p99_latency, label: P99 Latency}
  - {name: p95_latency, label: P95 Latency}
  - {name: error_rate, label: Error Rate}
  - {name: cpu_usage, label: CPU Usage}
judge: kayenta
kayenta_config: kayenta/config.json
"""


def _plan(tmp_path: Path, config: dict[str, object] | None = None) -> Path:
    (tmp_path / "plans" / "kayenta").mkdir(parents=True)
    target = tmp_path / "plans" / "kayenta" / "config.json"
    if config is None:
        shutil.copy(CONFIG, target)
    else:
        target.write_text(json.dumps(config, indent=2))
    plan = tmp_path / "plans" / "plan.yaml"
    plan.write_text(plan_header(datetime(2026, 11, 24, 9, tzinfo=UTC)) + METRICS)
    return plan


def test_a_release_registers_with_its_kayenta_config_in_the_snapshot(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    done = vigil("release", "create", "--plan", "plans/plan.yaml", "--db", "v.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    with store.read() as session:
        release = session.scalar(select(Release))
        assert release is not None
        stored = plan_of(release)
        assert "P99 Latency" in release.plan.source_text
    setup = stored.kayenta()
    assert setup is not None and setup == parse_plan(plan.read_text(), str(plan)).kayenta()


def test_a_malformed_config_is_one_line_and_stores_nothing(tmp_path: Path) -> None:
    config = json.loads(CONFIG.read_text())
    config["metrics"][1]["analysisConfigurations"]["canary"]["nanStrategy"] = "drop"
    _plan(tmp_path, config)
    done = vigil("release", "create", "--plan", "plans/plan.yaml", "--db", "v.db", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "plans/kayenta/config.json:" in done.stderr
    assert "metrics.1.analysisConfigurations.canary.nanStrategy: Input should be 'remove' or 'replace'" in done.stderr
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Release)) == 0
