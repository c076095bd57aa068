"""CLI latency: wall time of the read commands a person types, against starting Python in the same run.

    .venv/bin/python bench/cli_latency.py [--runs 7] [--db PATH]

Builds the demo store in a temporary folder (`vigil demo`; or uses ``--db``), then runs each command as a
separate process, the way a shell runs it: `vigil status R`, `vigil release list`, `vigil trace R`,
`vigil incident list`, interleaved with the reference `python -c "import sqlite3"` so both see the same
machine load, and `python -c "import sqlalchemy.orm"` (the floor: what any command reading the store
through the ORM pays first). Prints min and median wall time per command and the ratio of its median to the reference's.
Goal: each command within 0.3 s, or at most 4x the reference. Also prints the CPU time of each command
(user + system, from the child's rusage), which depends less on what else the machine runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS, GOAL_RATIO = 0.3, 4.0
DEMO_SLUG = "checkout-2.3.0-demo"


def vigil_command() -> list[str]:
    """The `vigil` script beside this Python (as installed), else `python -m vigil`."""
    script = Path(sys.executable).with_name("vigil")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vigil"]


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; fails loudly if the command fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    parser.add_argument("--db", type=Path, help="an existing store holding the demo release (default: build one)")
    args = parser.parse_args()

    vigil = vigil_command()
    work = Path(tempfile.mkdtemp(prefix="vigil-cli-latency-"))
    try:
        db = args.db.resolve() if args.db else work / "vigil.db"
        env = {**os.environ, "VIGIL_DB": str(db), "COLUMNS": "120"}
        if args.db is None:
            print(f"building the demo store in {work} …", flush=True)
            subprocess.run([*vigil, "demo", "--out", str(work / "out")], cwd=work, env=env, check=True,
                           stdout=subprocess.DEVNULL)
        commands = {
            "python -c 'import sqlite3' (reference)": [sys.executable, "-c", "import sqlite3"],
            # Not a goal: what any command that reads the store through the ORM pays before doing anything.
            "python -c 'import sqlalchemy.orm' (floor)": [sys.executable, "-c", "import sqlalchemy.orm"],
            f"vigil status {DEMO_SLUG}": [*vigil, "status", DEMO_SLUG],
            "vigil release list": [*vigil, "release", "list"],
            f"vigil trace {DEMO_SLUG}": [*vigil, "trace", DEMO_SLUG],
            "vigil incident list": [*vigil, "incident", "list"],
        }
        for argv in commands.values():  # warm the page cache and the bytecode caches
            timed(argv, work, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so a burst of other load hits every command alike
            for name, argv in commands.items():
                wall, cpu = timed(argv, work, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        report(walls, cpus, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(walls: dict[str, list[float]], cpus: dict[str, list[float]], runs: int) -> None:
    reference_name = next(iter(walls))
    reference = statistics.median(walls[reference_name])
    print(f"\n{runs} runs each, on {os.cpu_count()} cores; goal: median <= {GOAL_SECONDS} s or <= "
          f"{GOAL_RATIO:g}x the reference\n")
    print(f"{'command':44} {'min s':>7} {'median s':>9} {'cpu s':>7} {'x ref':>7}  goal")
    for name, values in walls.items():
        median = statistics.median(values)
        ratio = median / reference
        goal_met = median <= GOAL_SECONDS or ratio <= GOAL_RATIO
        met = "-" if name == reference_name or "(floor)" in name else ("met" if goal_met else "MISSED")
        print(f"{name:44} {min(values):7.3f} {median:9.3f} {statistics.median(cpus[name]):7.3f} "
              f"{ratio:7.1f}  {met}")


if __name__ == "__main__":
    main()
