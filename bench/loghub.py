"""The loghub 2k samples for the log benchmarks: raw lines, reference rows, and each row's reference time.

The folder is $VIGIL_DATA/loghub (bench/public_data.py says how to get it). Reference times
are read from each system's structured columns (the reference, not the method under test: one reader per
system is how the ground truth is laid out).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from public_data import data_set

SYSTEMS = ["Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "OpenSSH", "OpenStack", "Spark",
           "Zookeeper"]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # "now" for lines without a year
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def loghub_dir() -> Path:
    return data_set("loghub", *(f"{system}/{system}_2k.log{suffix}" for system in SYSTEMS
                                for suffix in ("", "_structured.csv")))


@dataclass
class System:
    name: str
    lines: list[str]
    rows: list[dict[str, str]]


def load(name: str, base: Path | None = None) -> System:
    folder = (base or loghub_dir()) / name
    lines = (folder / f"{name}_2k.log").read_text(encoding="utf-8", errors="replace").splitlines()
    with (folder / f"{name}_2k.log_structured.csv").open(encoding="utf-8", errors="replace") as fh:
        rows = list(csv.DictReader(fh))
    return System(name, lines, rows)


def _micros(text: str, fmt: str) -> int:
    return (datetime.strptime(text, fmt).replace(tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


def _no_year(month: str, day: str, clock: str) -> int:
    moment = _micros(f"{NOW.year} {month} {int(day)} {clock}", "%Y %b %d %H:%M:%S")
    if moment > (NOW - EPOCH) // timedelta(microseconds=1) + 86_400_000_000:  # the latest such date up to a day ahead
        moment = _micros(f"{NOW.year - 1} {month} {int(day)} {clock}", "%Y %b %d %H:%M:%S")
    return moment


def reference_ts(system: str, r: dict[str, str]) -> int:
    """Epoch microseconds (read as UTC) of a row, from the columns its system's structured file has."""
    if system == "Apache":
        return _micros(r["Time"], "%a %b %d %H:%M:%S %Y")
    if system == "BGL":
        return _micros(r["Time"], "%Y-%m-%d-%H.%M.%S.%f")
    if system == "HDFS":
        return _micros(f"{r['Date']:0>6} {r['Time']:0>6}", "%y%m%d %H%M%S")
    if system in ("Hadoop", "Zookeeper"):
        return _micros(f"{r['Date']} {r['Time']}", "%Y-%m-%d %H:%M:%S,%f")
    if system == "HealthApp":
        day, clock = r["Time"].split("-")
        h, m, s, ms = (int(p) for p in clock.split(":"))
        return _micros(day, "%Y%m%d") + ((h * 60 + m) * 60 + s) * 1_000_000 + ms * 1000
    if system == "Linux":
        return _no_year(r["Month"], r["Date"], r["Time"])
    if system == "OpenSSH":
        return _no_year(r["Date"], r["Day"], r["Time"])
    if system == "OpenStack":
        return _micros(f"{r['Date']} {r['Time']}", "%Y-%m-%d %H:%M:%S.%f")
    if system == "Spark":
        return _micros(f"{r['Date']} {r['Time']}", "%y/%m/%d %H:%M:%S")
    raise KeyError(system)
