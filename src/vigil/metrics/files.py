"""Metric sources read from files: for teams without Prometheus, and for replaying a past release.

Three formats, chosen by file extension:

* CSV (``.csv``): ``timestamp,value[,cohort]`` with an optional header row (a ``metric`` column, when
  present, lets one file hold several metrics);
* JSON lines (``.jsonl``/``.ndjson``): one object per line with ``timestamp``, ``value`` and optionally
  ``cohort`` and ``metric``;
* OpenMetrics / Prometheus text snapshots (``.prom``/``.om``/``.txt``): samples keep their own
  timestamp, or take the time in the file's name (``1732438800.prom``, ``2026-11-24T09:05:00Z.prom``) when
  a directory of scrapes is given.

Timestamps are epoch seconds or ISO 8601 (taken as UTC without an offset). A row without a cohort
counts for both cohorts (a service with one version at a time: big bang, or the pre-deploy window).
Problems name the file and line and raise ``SourceError``, which the watch reads as "no data".
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from vigil.errors import SourceError
from vigil.metrics.base import Cohort, Series
from vigil.metrics.config import FileOptions
from vigil.plan.schema import Metric

TABLE_EXTENSIONS = (".csv", ".jsonl", ".ndjson")
SNAPSHOT_EXTENSIONS = (".prom", ".om", ".txt")


class Row(NamedTuple):  # a tuple, not a frozen dataclass: files run to millions of rows
    timestamp: float
    value: float
    cohort: str | None
    metric: str | None
    series: str = ""  # the other labels of an OpenMetrics sample, to spot several series


Key = tuple[str | None, str | None, str]  # (metric, cohort, other labels)


@dataclass(frozen=True)
class Column:
    """One series of a file, sorted by time, so a window is two binary searches away."""

    timestamps: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]

    def window(self, lo: float, hi: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        first, last = np.searchsorted(self.timestamps, [lo, hi], side="right")
        return self.timestamps[first:last], self.values[first:last]


class FileSource:
    def __init__(self, name: str, path: str | Path, options: FileOptions) -> None:
        self.name, self._root, self._options = name, Path(path), options
        self._cache: dict[Path, dict[Key, Column]] = {}

    def fetch(self, metric: Metric, cohort: Cohort, start: datetime, end: datetime,
              step: timedelta | None = None) -> Series:
        files, wanted = self._files_for(metric)
        label = getattr(self._options.cohorts, cohort)
        parts = [(key, column) for f in files for key, column in self._table(f).items()
                 if key[0] in (None, wanted) and key[1] in (None, label)]
        series_keys = {key[2] for key, _ in parts}
        if len(series_keys) > 1:
            raise SourceError(f"{self._root}: '{wanted}' has {len(series_keys)} series for cohort '{label}' "
                              f"({'; '.join(sorted(series_keys)[:3])}); keep one per cohort")
        windows = [column.window(start.timestamp(), end.timestamp()) for _, column in parts]
        if not windows:
            return Series.empty()
        ts = np.concatenate([w[0] for w in windows])
        values = np.concatenate([w[1] for w in windows])
        order = np.argsort(ts, kind="stable")
        return Series(ts[order], values[order])

    def _files_for(self, metric: Metric) -> tuple[list[Path], str]:
        """The files holding ``metric`` and the name its rows carry (for files with several metrics)."""
        wanted = self._options.samples.get(metric.name, metric.name)
        if self._root.is_file():
            return [self._root], wanted
        if not self._root.is_dir():
            raise SourceError(f"metric file source '{self.name}': {self._root} does not exist")
        if metric.name in self._options.files:
            return [self._root / self._options.files[metric.name]], wanted
        for ext in TABLE_EXTENSIONS + SNAPSHOT_EXTENSIONS:
            candidate = self._root / f"{metric.name}{ext}"
            if candidate.is_file():
                return [candidate], wanted
        snapshots = sorted(p for p in self._root.iterdir() if p.suffix in SNAPSHOT_EXTENSIONS)
        if snapshots:
            return snapshots, wanted
        raise SourceError(f"no file for metric '{metric.name}' in {self._root} "
                          f"(expected {metric.name}.csv, .jsonl or OpenMetrics snapshots)")

    def _table(self, path: Path) -> dict[Key, Column]:
        if path not in self._cache:
            self._cache[path] = index_rows(read_rows(path, self._options.cohort_label))
        return self._cache[path]


def index_rows(rows: Iterable[Row]) -> dict[Key, Column]:
    grouped: dict[Key, tuple[list[float], list[float]]] = {}
    for row in rows:
        ts, values = grouped.setdefault((row.metric, row.cohort, row.series), ([], []))
        ts.append(row.timestamp)
        values.append(row.value)
    table = {}
    for key, (ts, values) in grouped.items():
        t, v = np.array(ts, dtype=np.float64), np.array(values, dtype=np.float64)
        order = np.argsort(t, kind="stable")
        table[key] = Column(t[order], v[order])
    return table


def read_rows(path: Path, cohort_label: str = "version") -> Iterator[Row]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    if path.suffix == ".csv":
        yield from _csv_rows(path, text)
    elif path.suffix in (".jsonl", ".ndjson"):
        yield from _jsonl_rows(path, text)
    elif path.suffix in SNAPSHOT_EXTENSIONS:
        yield from _snapshot_rows(path, text, cohort_label)
    else:
        raise SourceError(f"{path}: unknown file type (use .csv, .jsonl, .prom or .om)")


_CSV_FIELDS = ("timestamp", "value", "cohort", "metric")


def _csv_rows(path: Path, text: str) -> Iterator[Row]:
    width, at = 4, {name: i for i, name in enumerate(_CSV_FIELDS)}
    for number, cells in enumerate(csv.reader(text.splitlines()), start=1):
        if not cells or cells[0].lstrip().startswith("#"):
            continue
        if number == 1 and cells[0].strip().lower() == "timestamp":
            header = [c.strip().lower() for c in cells]
            missing = {"timestamp", "value"} - set(header)
            if missing:
                raise SourceError(f"{path}:1: the header lacks {', '.join(sorted(missing))}")
            width, at = len(header), {name: header.index(name) for name in _CSV_FIELDS if name in header}
            continue
        if len(cells) < 2 or len(cells) > width:
            raise SourceError(f"{path}:{number}: expected timestamp,value[,cohort], got {len(cells)} fields")
        # Positions rather than a dict per row: recordings run to millions of rows.
        cohort, metric = at.get("cohort", width), at.get("metric", width)
        yield _row(path, number, cells[at["timestamp"]], cells[at["value"]],
                   cells[cohort].strip() if cohort < len(cells) else None,
                   cells[metric].strip() if metric < len(cells) else None)


def _jsonl_rows(path: Path, text: str) -> Iterator[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict) or "timestamp" not in record or "value" not in record:
            raise SourceError(f"{path}:{number}: expected an object with timestamp and value")
        yield _row(path, number, record["timestamp"], record["value"], record.get("cohort"),
                   record.get("metric"))


def _row(path: Path, number: int, timestamp: Any, value: Any, cohort: Any, metric: Any) -> Row:
    try:  # the common case first; errors are located only when there is one
        stamp = float(timestamp)
    except (TypeError, ValueError):
        stamp = parse_timestamp(timestamp, f"{path}:{number}")
    try:
        number_value = float(value)
    except (TypeError, ValueError):
        raise SourceError(f"{path}:{number}: '{value}' is not a number") from None
    return Row(stamp, number_value, str(cohort) if cohort not in (None, "") else None,
               str(metric) if metric not in (None, "") else None)


def _snapshot_rows(path: Path, text: str, cohort_label: str) -> Iterator[Row]:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
    from prometheus_client.parser import text_string_to_metric_families as prometheus_text

    file_time: float | None = None
    try:
        parser = openmetrics if "# EOF" in text else prometheus_text
        for family in parser(text):
            for sample in family.samples:
                stamp = sample.timestamp
                if stamp is None:
                    if file_time is None:
                        file_time = parse_timestamp(path.stem, f"{path} (a sample has no timestamp, so the "
                                                               "file name must be its time)")
                    stamp = file_time
                labels = dict(sample.labels)
                cohort = labels.pop(cohort_label, None)
                series = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
                yield Row(float(stamp), float(sample.value), cohort, sample.name, series)
    except ValueError as exc:
        raise SourceError(f"{path}: not valid OpenMetrics/Prometheus text: {exc}") from None


def parse_timestamp(raw: Any, where: str) -> float:
    """Epoch seconds, or ISO 8601 (UTC if it names no offset)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    text = str(raw).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SourceError(f"{where}: '{text}' is not a timestamp (epoch seconds or ISO 8601)") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
