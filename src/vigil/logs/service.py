"""What the CLI and the HTTP endpoint call: ingest from files and streams, detection for a release."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from vigil.errors import VigilError
from vigil.logs.detection import LogSignal, error_rate, new_error_signatures
from vigil.logs.ingest import IngestResult, Source, ingest_lines, read_lines
from vigil.releases.service import get_release
from vigil.store import Store


class LogSourceError(VigilError):
    """A log file that cannot be read."""


def ingest_file(store: Store, path: Path, source: Source, *, now: datetime) -> IngestResult:
    try:
        with path.open("rb") as stream:
            return ingest_lines(store, read_lines(stream), source, now=now)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise LogSourceError(f"cannot read the log file {path}: {exc.strerror}") from None


def ingest_stream(store: Store, stream: IO[bytes], source: Source, *, now: datetime) -> IngestResult:
    return ingest_lines(store, read_lines(stream), source, now=now)


def default_service(path: Path) -> str:
    """``/var/log/checkout.log.1`` -> ``checkout``: the file's name up to its first dot."""
    return path.name.split(".", 1)[0] or "unknown"


def detect(store: Store, release_ref: str, *, now: datetime, threshold_per_minute: int = 10,
           window: timedelta = timedelta(minutes=15),
           baseline: timedelta = timedelta(days=7)) -> list[LogSignal]:
    """Every log signal for the release's service: error-rate minutes and new error signatures."""
    with store.read() as session:
        release = get_release(session, release_ref)
        signals = error_rate(session, service=release.service, now=now, window=window,
                             threshold_per_minute=threshold_per_minute)
        signals += new_error_signatures(session, service=release.service, release_started=release.started_at,
                                        now=now, release=release.slug, baseline=baseline)
    return signals
