"""`vigil replay` over the shipped example and over data with a metric missing."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import select

from vigil.cli.app import root
from vigil.errors import VigilError
from vigil.store import Store
from vigil.watch.models import RollbackEvent
from vigil.watch.replay import replay

EXAMPLE = Path(str(resources.files("vigil") / "examples" / "replay"))


def _store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'replay.db'}")


def _run(tmp_path: Path, data: Path):  # type: ignore[no-untyped-def]
    store = _store(tmp_path)
    text = (EXAMPLE / "plan.yaml").read_text(encoding="utf-8")
    return replay(store, text, "plan.yaml", data)


def test_example_incident_is_rolled_back_at_two_hours(tmp_path: Path) -> None:
    result = _run(tmp_path, EXAMPLE / "data")
    checkpoints = [e for e in result.events if e.kind == "checkpoint"]
    verdicts = [(e.name, e.decision) for e in checkpoints]
    # Until T+2h the canary serves 5–25 % of the traffic: its few errors (0–4 per window, judged as errors
    # over requests) cannot yet rule out a doubling of the error rate, so the rollout holds rather than passes.
    assert verdicts == [("T+0", "continue"), ("T+15m", "hold"), ("T+30m", "hold"),
                        ("T+1h", "hold"), ("T+2h", "rollback"), ("T+4h", "skipped"), ("T+8h", "skipped"),
                        ("T+24h", "skipped")]
    at_2h = checkpoints[4]
    assert [b.metric for b in at_2h.breaches] == ["p99_latency"]
    assert at_2h.breaches[0].value is not None and at_2h.breaches[0].baseline is not None
    assert at_2h.breaches[0].value / at_2h.breaches[0].baseline == pytest.approx(1.6, abs=0.1)
    assert at_2h.at.isoformat() == "2026-11-10T16:00:00+00:00"
    with _store(tmp_path).read() as session:  # decided, but the plan's kubectl command never ran
        assert session.scalars(select(RollbackEvent.state)).one() == "decided"


def test_missing_series_is_no_data_and_holds(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE / "data", data)
    (data / "throughput.csv").unlink()
    result = _run(tmp_path, data)
    first = result.events[0]
    assert (first.health, first.decision) == ("unknown", "hold")
    assert [(b.metric, b.status) for b in first.breaches] == [("throughput", "no_data")]
    assert "no file for metric 'throughput'" in first.breaches[0].reason


def test_missing_data_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VigilError, match="does not exist"):
        _run(tmp_path, tmp_path / "nowhere")


def test_cli_json_output_and_default_store_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VIGIL_DB", raising=False)
    root(["replay", "--plan", str(EXAMPLE / "plan.yaml"), "--data", str(EXAMPLE / "data"), "--json"],
         standalone_mode=False)
    out = json.loads(capsys.readouterr().out)
    assert out["rollback_at"] == "T+2h"
    # The plan's P99 rule would have fired 10 minutes into the regression, 20 minutes before the checkpoint.
    assert [e["kind"] for e in out["events"]] == ["checkpoint"] * 4 + ["alert"] + ["checkpoint"] * 4
    alert = out["events"][4]
    assert (alert["name"], alert["at"], alert["decision"]) == ("p99-above-baseline", "2026-11-10T15:40:00+00:00",
                                                                "fired")
    assert out["events"][5]["breaches"][0]["metric"] == "p99_latency"
    assert not (tmp_path / "vigil.db").exists()  # a replay never writes to the user's store
