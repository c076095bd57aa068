"""The simulator's SLI series: good and total request rates derived from its own template metrics.

So that an SLO on the simulator sees the same service as its point metrics (and the same faults): total
is the throughput series; an availability SLI's good is throughput × (1 − error rate); a latency SLI's
(its query names a bucket ``le``) is throughput × the share of a log-normal latency, fitted to the P95
and P99 series, at or under the threshold.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import numpy as np
from scipy.special import ndtr

from vigil.metrics.base import Cohort, Series
from vigil.plan.schema import Metric

SLI_GROUP = "sli"  # the group vigil.analysis.burn gives the SLI metrics it fetches
_LE = re.compile(r'le\s*=\s*"([0-9.eE+-]+)"')
_Z95, _Z99 = 1.6448536, 2.3263479

Fetch = Callable[[Metric, Cohort, datetime, datetime], Series]


def simulated_sli(fetch: Fetch, metric: Metric, cohort: Cohort, start: datetime, end: datetime) -> Series:
    def plain(name: str) -> Series:
        return fetch(Metric(name=name, label=name), cohort, start, end)

    total = plain("throughput")
    if metric.name.endswith("_total"):
        return total
    le = _LE.search(metric.query or "")
    if le is None:
        errors = plain("error_rate")
        return Series(total.timestamps, total.values * (1 - np.clip(errors.values / 100.0, 0.0, 1.0)))
    p95, p99 = plain("p95_latency").values, plain("p99_latency").values
    sigma = np.maximum(np.log(np.maximum(p99, 1e-9) / np.maximum(p95, 1e-9)) / (_Z99 - _Z95), 1e-6)
    median = np.log(np.maximum(p99, 1e-9)) - _Z99 * sigma
    threshold_ms = float(le.group(1)) * 1000.0
    return Series(total.timestamps, total.values * ndtr((np.log(threshold_ms) - median) / sigma))
