"""Benchmarks that need a public data set find it through VIGIL_DATA alone, and say how to get it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_bench(script: str, env_data: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIGIL_DATA"}
    env["PYTHONPATH"] = str(REPO / "src")
    if env_data is not None:
        env["VIGIL_DATA"] = env_data
    return subprocess.run([sys.executable, str(REPO / "bench" / script)], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize(("script", "data_set", "source"), [
    ("nab_score.py", "nab", "github.com/numenta/NAB"),
    ("anomaly_sensitivity.py", "nab", "github.com/numenta/NAB"),
    ("logs_miner.py", "loghub", "github.com/logpai/loghub"),
])
def test_without_the_data_a_benchmark_says_how_to_get_it(script: str, data_set: str, source: str,
                                                         tmp_path: Path) -> None:
    unset = run_bench(script, None)
    assert unset.returncode == 3 and "Traceback" not in unset.stderr
    assert "VIGIL_DATA is not set" in unset.stderr and source in unset.stderr

    (tmp_path / data_set).mkdir()  # there, but empty: each missing file is named
    empty = run_bench(script, str(tmp_path))
    assert empty.returncode == 3 and "Traceback" not in empty.stderr
    assert f"{tmp_path / data_set} does not hold the {data_set} data set (missing: " in empty.stderr


def test_the_setting_is_read_in_one_place_and_no_shared_folder_is_looked_for() -> None:
    code = [*REPO.joinpath("bench").glob("*.py"), *REPO.joinpath("src").rglob("*.py"),
            *REPO.joinpath("tests").rglob("*.py")]
    readers = [path.name for path in code if '"VIGIL_DATA"' in path.read_text(encoding="utf-8")
               and path != Path(__file__)]  # this test sets it for the benchmarks it runs
    assert readers == ["public_data.py"]
    for path in code:
        text = path.read_text(encoding="utf-8")
        assert "VIGIL_" + "SHARED" not in text and "/work/" + "shared" not in text, path
