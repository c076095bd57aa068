"""Real servers for integration tests, started on loopback with free ports and stopped afterwards.

Waiting is always polling with a deadline (never a fixed sleep): a server is ready when it answers.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0, every: float = 0.2) -> Any:
    """Call ``check`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, OSError) as exc:
            last = exc
        pause.wait(every)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:g}s (last error: {last})")


@dataclass(frozen=True)
class PrometheusServer:
    url: str
    process: subprocess.Popen[bytes]

    def query(self, promql: str) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5).json()
        return list(body["data"]["result"])


@contextmanager
def prometheus(tmp: Path, targets: list[str], scrape_interval: str = "1s",
               backfill: str | None = None) -> Iterator[PrometheusServer]:
    """The Debian package's Prometheus scraping ``targets`` (host:port) into a throwaway TSDB, which first
    holds ``backfill`` (OpenMetrics text, written into blocks by the package's promtool) when given."""
    port = free_port()
    config = tmp / "prometheus.yml"
    jobs = ("  - job_name: app\n"
            f"    static_configs:\n      - targets: [{', '.join(repr(t) for t in targets)}]\n") if targets else " []\n"
    config.write_text(
        "global:\n"
        f"  scrape_interval: {scrape_interval}\n"
        f"  evaluation_interval: {scrape_interval}\n"
        "scrape_configs:" + ("\n" if targets else "") + jobs,
        encoding="utf-8")
    if backfill is not None:
        history = tmp / "history.om"
        history.write_text(backfill, encoding="utf-8")
        subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "-q", str(history),
                        str(tmp / "tsdb")], check=True, capture_output=True)
    log = (tmp / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT)
    server = PrometheusServer(f"http://127.0.0.1:{port}", process)
    try:
        wait_for(lambda: httpx.get(f"{server.url}/-/ready", timeout=2).status_code == 200, "Prometheus ready")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class OutputWatcher:
    """Reads a process's output in a thread; ``wait_for`` blocks until a line matches (or times out)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self.lines.append("<exited>")
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> bool:
        regex = re.compile(pattern)
        with self._cond:
            return self._cond.wait_for(
                lambda: any(regex.search(line) for line in self.lines) or "<exited>" in self.lines,
                timeout=timeout,
            ) and any(regex.search(line) for line in self.lines)
