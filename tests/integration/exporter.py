"""A small service exporter (prometheus_client) with a stable and a canary cohort per scenario.

A background thread plays traffic: every tick each (scenario, version) serves 20 requests, counted by
status code and timed in a histogram. In the "regressed" scenario the canary fails 1 request in 20 and
is about three times slower; in the "clean" scenario the canary behaves exactly like stable; in the
"sparse" scenario stable never fails and the canary fails one request every 100 ticks (a few per window).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from servers import free_port

BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
SCENARIOS = ("regressed", "clean", "sparse")
SPARSE_EVERY = 100  # ticks between the sparse canary's errors
REQUESTS_PER_TICK = 20


@dataclass(frozen=True)
class Exporter:
    target: str  # host:port for Prometheus to scrape


def _play(stop: threading.Event, requests: Counter, duration: Histogram, tick: float) -> None:
    step = 0
    while not stop.wait(tick):
        step += 1
        for scenario in SCENARIOS:
            for version in ("stable", "canary"):
                bad = scenario == "regressed" and version == "canary"
                sparse = scenario == "sparse" and version == "canary" and step % SPARSE_EVERY == 0
                errors = 1 if bad or sparse else 0
                requests.labels(scenario, version, "500").inc(errors)
                requests.labels(scenario, version, "200").inc(REQUESTS_PER_TICK - errors)
                for i in range(REQUESTS_PER_TICK):
                    seconds = 0.06 + 0.006 * ((i + step) % REQUESTS_PER_TICK)  # 60–174 ms
                    duration.labels(scenario, version).observe(seconds * (3 if bad else 1))


@contextmanager
def exporter(tick: float = 0.05) -> Iterator[Exporter]:
    registry = CollectorRegistry()
    requests = Counter("app_requests", "Requests served", ["scenario", "version", "code"], registry=registry)
    duration = Histogram("app_request_duration_seconds", "Request latency", ["scenario", "version"],
                         buckets=BUCKETS, registry=registry)
    for scenario in SCENARIOS:  # every series exists from the first scrape, errors at zero
        for version in ("stable", "canary"):
            requests.labels(scenario, version, "500")
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    stop = threading.Event()
    player = threading.Thread(target=_play, args=(stop, requests, duration, tick), daemon=True)
    player.start()
    try:
        yield Exporter(f"127.0.0.1:{port}")
    finally:
        stop.set()
        player.join()
        server.shutdown()
        server.server_close()
        thread.join()
