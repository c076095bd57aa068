"""Starting real servers for the alerting integration tests, waiting on events rather than sleeping."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


class AppServer:
    """A FastAPI app served by uvicorn on a loopback port in a thread; ``requests`` notifies each response."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.requests = threading.Condition()
        self.seen = 0

        @app.middleware("http")
        async def _count(request: Request, call_next: Callable[..., object]) -> Response:
            response: Response = await call_next(request)  # type: ignore[misc]
            with self.requests:
                self.seen += 1
                self.requests.notify_all()
            return response

        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> AppServer:
        self.thread.start()
        started = threading.Event()
        # uvicorn sets ``started`` once listening; wait on it in short slices of an Event, not a sleep.
        while not self.server.started and self.thread.is_alive():
            started.wait(0.05)
        assert self.server.started, "uvicorn did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Re-check ``predicate`` after each request the app answers, until true or ``timeout``."""
        with self.requests:
            return self.requests.wait_for(predicate, timeout=timeout)
