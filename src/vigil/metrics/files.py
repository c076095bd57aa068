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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from vigil.errors import SourceError
from vigil.metrics.base import Cohort, Series
from vigil.metrics.config import FileOptions
from vigil.plan.schema import Metric

TABLE_EXTENSIONS = (".csv", ".jsonl", ".ndjson")
SNAPSHOT_EXTENSIONS = (".prom", ".om", ".txt")


@dataclass(frozen=True)
class Row:
    timestamp: float
    value: float
    cohort: str | None
    metric: str | None
    series: str = ""  # the other labels of an OpenMetrics sample, to spot several series


class FileSource:
    def __init__(self, name: str, path: str | Path, options: FileOptions) -> None:
        self.name, self._root, self._options = name, Path(path), options
        self._cache: dict[Path, list[Row]] = {}

    def fetch(self, metric: Metric, cohort: Cohort, start: datetime, end: datetime) -> Series:
        files, wanted = self._files_for(metric)
        label = getattr(self._options.cohorts, cohort)
        lo, hi = start.timestamp(), end.timestamp()
        rows = [r for f in files for r in self._rows(f)
                if (r.metric is None or r.metric == wanted) and (r.cohort is None or r.cohort == label)
                and lo < r.timestamp <= hi]
        series_keys = {r.series for r in rows}
        if len(series_keys) > 1:
            raise SourceError(f"{self._root}: '{wanted}' has {len(series_keys)} series for cohort '{label}' "
                              f"({'; '.join(sorted(series_keys)[:3])}); keep one per cohort")
        rows.sort(key=lambda r: r.timestamp)
        return Series(np.array([r.timestamp for r in rows], dtype=np.float64),
                      np.array([r.value for r in rows], dtype=np.float64))

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

    def _rows(self, path: Path) -> list[Row]:
        if path not in self._cache:
            self._cache[path] = list(read_rows(path, self._options.cohort_label))
        return self._cache[path]


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


def _csv_rows(path: Path, text: str) -> Iterator[Row]:
    columns = ["timestamp", "value", "cohort", "metric"]
    for number, cells in enumerate(csv.reader(text.splitlines()), start=1):
        if not cells or not "".join(cells).strip() or cells[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in cells]
        if number == 1 and cells[0].lower() == "timestamp":
            columns = [c.lower() for c in cells]
            missing = {"timestamp", "value"} - set(columns)
            if missing:
                raise SourceError(f"{path}:1: the header lacks {', '.join(sorted(missing))}")
            continue
        if len(cells) < 2 or len(cells) > len(columns):
            raise SourceError(f"{path}:{number}: expected timestamp,value[,cohort], got {len(cells)} fields")
        yield _row(path, number, dict(zip(columns, cells, strict=False)))


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
        yield _row(path, number, record)


def _row(path: Path, number: int, record: dict[str, Any]) -> Row:
    where = f"{path}:{number}"
    cohort, metric = record.get("cohort"), record.get("metric")
    return Row(parse_timestamp(record["timestamp"], where), _float(record["value"], where),
               str(cohort) if cohort not in (None, "") else None,
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


def _float(raw: Any, where: str) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise SourceError(f"{where}: '{raw}' is not a number") from None
