"""Generated SLI streams: request and good-request rates every 15 s, written as a file source."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
STEP = 15.0
RATE = 100.0  # requests per second

ErrorShape = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]  # seconds since T0 -> bad share


def write_streams(folder: Path, bad_share: ErrorShape, *, rate: float = RATE, before: timedelta = timedelta(hours=2),
                  after: timedelta = timedelta(hours=8), stem: str = "checkout_availability") -> Path:
    """``<stem>_total.csv``, ``<stem>_good.csv`` and ``requests.csv`` (the plan's one point metric)."""
    folder.mkdir(parents=True, exist_ok=True)
    offsets = np.arange(-before.total_seconds(), after.total_seconds() + STEP, STEP)
    ts = T0.timestamp() + offsets
    total = np.full(ts.size, rate)
    good = total * (1.0 - np.clip(bad_share(offsets), 0.0, 1.0))
    for name, values in ((f"{stem}_total", total), (f"{stem}_good", good), ("requests", total)):
        lines = ["timestamp,value", *(f"{t:.0f},{v:.9g}" for t, v in zip(ts, values, strict=True))]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def plan_text(data: Path, extra: str = "", slo: str = "", rollback: str = "") -> str:
    return f"""
release:
  name: Checkout SLO test
  service: checkout
  version: "2.3.0"
  date: 2026-11-24T08:00:00+00:00
  deployment_method: big-bang
people:
  release_owner: {{name: Ana Costa}}
  monitoring_owner: {{name: Ravi Menon}}
source: {{kind: file, path: "{data}"}}
metrics:
  - {{name: requests, label: Requests, unit: /s}}
checkpoints: [T+0, T+1h, T+2h, T+4h]
rollback: {{consecutive_warnings: null{rollback}}}
slos:
  - name: checkout-availability
    sli: {{good: 'http_requests_total{{code!~"5.."}}', total: http_requests_total}}
    target: 99.9
    window: 30d
{slo}{extra}"""
