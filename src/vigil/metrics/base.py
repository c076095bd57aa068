"""What every metric source provides: samples of one metric for one cohort over a time window.

A source that cannot answer raises ``SourceError``; an empty ``Series`` means "no data". Neither is ever
read as a healthy zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from vigil.plan.schema import Metric

Cohort = Literal["baseline", "new"]


@dataclass(frozen=True)
class Series:
    """Samples in time order: ``timestamps`` in epoch seconds (UTC), ``values`` as floats."""

    timestamps: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]

    @classmethod
    def empty(cls) -> Series:
        return cls(np.empty(0), np.empty(0))

    def __len__(self) -> int:
        return int(self.values.size)

    def finite(self) -> Series:
        """Drop NaN/Inf samples (a scrape gap or a division by zero upstream is not a value)."""
        keep = np.isfinite(self.values)
        return Series(self.timestamps[keep], self.values[keep])


class MetricSource(Protocol):
    name: str

    def fetch(self, metric: Metric, cohort: Cohort, start: datetime, end: datetime,
              step: timedelta | None = None) -> Series:
        """Samples with ``start < t <= end``; raises ``SourceError`` when the source is unreachable.

        ``step`` is the spacing the caller needs when the source has none of its own (Prometheus range
        queries): an anomaly rule needs a thousand samples of its window, a checkpoint a few dozen. Sources
        whose samples come with their spacing (files, the simulator) ignore it, and so does a ``step`` set
        in the plan, which says what the team's metrics can bear.
        """
        ...
