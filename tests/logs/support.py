"""Constants and paths shared by the log tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("VIGIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SYSTEMS = ["Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "OpenSSH", "OpenStack", "Spark",
           "Zookeeper"]

