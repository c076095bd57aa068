"""Fixtures that start real servers on loopback (see servers.py for the helpers)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib, which leaves sys.path alone; the helper modules beside
# this file are imported by name, so put this folder on the path once.
sys.path.insert(0, str(Path(__file__).parent))

from exporter import Exporter, exporter
from servers import PrometheusServer, prometheus, wait_for


@pytest.fixture(scope="module")
def app_exporter() -> Iterator[Exporter]:
    with exporter() as running:
        yield running


@pytest.fixture(scope="module")
def prometheus_server(app_exporter: Exporter, tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[PrometheusServer]:
    """Prometheus scraping the exporter every second, returned once it holds ~24 s of samples: a test's
    T+0 window (20 s) must be covered, or it is rightly "insufficient data" (analysis.data_quality)."""
    tmp: Path = tmp_path_factory.mktemp("prometheus")
    with prometheus(tmp, [app_exporter.target]) as server:
        wait_for(lambda: [r for r in server.query('count_over_time(up{job="app"}[1m]) >= 24')
                          if r["value"][1] != "0"], "24 scrapes of the exporter")
        yield server
