"""The metrics the Post-Release Monitoring Log template names, with its expectations as defaults.

A plan may list a metric by name only; everything it leaves out is taken from here. The absolute limits
are the template's "Expected" figures (error rate < 0.1 %, P99 < 300 ms, P95 < 250 ms, CPU < 70 %,
memory < 80 %); metrics the template compares to a baseline get relative limits instead.
"""

from __future__ import annotations

from typing import Any

# name -> defaults. "bad" says which direction is worse; limits are in the metric's unit.
CATALOGUE: dict[str, dict[str, Any]] = {
    "error_rate": {
        "label": "Error Rate", "unit": "%", "bad": "up", "critical": True,
        "thresholds": {"max": 0.1, "relative": {"warning": 50, "critical": 200}},
    },
    "p99_latency": {
        "label": "P99 Latency", "unit": "ms", "bad": "up", "critical": True,
        "thresholds": {"max": 300, "relative": {"warning": 20, "critical": 50}},
    },
    "p95_latency": {
        "label": "P95 Latency", "unit": "ms", "bad": "up",
        "thresholds": {"max": 250, "relative": {"warning": 20, "critical": 50}},
    },
    "throughput": {
        "label": "Request Throughput", "unit": "/min", "bad": "down",
        "thresholds": {"relative": {"warning": 10, "critical": 25}},
    },
    "cpu_usage": {
        "label": "CPU Usage", "unit": "%", "bad": "up",
        "thresholds": {"max": 70, "relative": {"warning": 25, "critical": 60}},
    },
    "memory_usage": {
        "label": "Memory Usage", "unit": "%", "bad": "up", "leak_check": True,
        "thresholds": {"max": 80, "relative": {"warning": 15, "critical": 40}},
    },
    "db_query_time": {
        "label": "Database Query Time", "unit": "ms", "bad": "up",
        "thresholds": {"relative": {"warning": 25, "critical": 75}},
    },
    "active_users": {
        "label": "Active Users", "unit": "users", "bad": "down", "business": True,
        "thresholds": {"relative": {"warning": 10, "critical": 25}},
    },
    "conversion_rate": {
        "label": "Conversion Rate", "unit": "%", "bad": "down", "business": True,
        "thresholds": {"relative": {"warning": 5, "critical": 15}},
    },
    "signups": {
        "label": "User Sign-ups", "unit": "/hour", "bad": "down", "business": True,
        "thresholds": {"relative": {"warning": 10, "critical": 25}},
    },
    "revenue": {
        "label": "Revenue", "unit": "$/hour", "bad": "down", "business": True,
        "thresholds": {"relative": {"warning": 10, "critical": 25}},
    },
}

DEFAULT_CHECKPOINTS = ["T+0", "T+15m", "T+30m", "T+1h", "T+2h", "T+4h", "T+8h", "T+24h"]

# Traffic on the new version over time, per deployment method: (offset, percent) steps.
DEFAULT_ROLLOUT: dict[str, list[tuple[str, float]]] = {
    "canary": [("T+0", 5), ("T+30m", 25), ("T+2h", 50), ("T+4h", 100)],
    "blue-green": [("T+0", 100)],
    "rolling": [("T+0", 25), ("T+1h", 50), ("T+2h", 75), ("T+4h", 100)],
    "big-bang": [("T+0", 100)],
}

# Where the baseline comes from when the plan does not say: a live old version, or the hour before.
DEFAULT_BASELINE = {"canary": "concurrent", "blue-green": "concurrent", "rolling": "pre_deploy",
                    "big-bang": "pre_deploy"}
