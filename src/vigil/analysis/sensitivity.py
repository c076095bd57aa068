"""How eager the anomaly detector is: three presets an alert rule chooses from by name.

The rule's threshold cannot be this knob. Every view of the detector alarms with a score just above what a
record scores, so a threshold a little higher does not make them stricter; it silences the shape and run
views outright (see ``docs/alerts.md``). What sets the trade-off is how far above the largest recent raw
score a record must lie (``record_margin``) and how loose a shape may be before it is new (the categories'
``slack``). Measured with ``bench/anomaly_sensitivity.py`` on the shared 2-core machine (alarms at the
threshold 0.9992 on independent Gaussian noise, six seeds of 20,000 values; NAB on the 35 shared files):

========  ==================  ===================  =====================================
preset    noise alarms / 10k  NAB (35 files)       for
========  ==================  ===================  =====================================
high      3.7                 75.4                 the detector's defaults, tuned on NAB
medium    0.44                72.1                 8× fewer false alarms; still above ARTime's 68.0
low       0.09                67.2                 40× fewer: a rule that pages someone
========  ==================  ===================  =====================================

At a 15 s scrape, 3.7 alarms per 10,000 samples is one every 11 hours on a metric that is only noise;
0.09 is one in 19 days.
"""

from __future__ import annotations

from typing import Literal

from vigil.analysis.anomaly import DetectorSettings
from vigil.analysis.categories import CategorySettings

Sensitivity = Literal["high", "medium", "low"]

_PRESETS: dict[Sensitivity, DetectorSettings] = {
    "high": DetectorSettings(),
    "medium": DetectorSettings(record_margin=0.3, categories=CategorySettings(slack=0.97)),
    "low": DetectorSettings(record_margin=0.3, categories=CategorySettings(slack=0.95)),
}


# The table's noise column: what the plan advice quotes to a critical rule left at "high".
NOISE_ALARMS_PER_10K: dict[Sensitivity, float] = {"high": 3.7, "medium": 0.44, "low": 0.09}


def settings_for(sensitivity: Sensitivity) -> DetectorSettings:
    """The detector settings of a named preset."""
    return _PRESETS[sensitivity]
