"""The release and people sections every small test plan starts with (the rest is what a test is about)."""

from __future__ import annotations

from datetime import datetime


def plan_header(date: datetime, method: str = "canary", version: str = "2") -> str:
    return f"""release:
  name: api
  service: api
  version: "{version}"
  date: {date.isoformat()}
  deployment_method: {method}
people:
  release_owner: {{name: A}}
  monitoring_owner: {{name: B}}
"""
