"""Grafana export: a dashboard for the plan's Prometheus metrics, and the release's checkpoints and
rollback as Grafana annotations, for teams whose dashboards live in Grafana.

A dashboard JSON cannot carry fixed events itself (Grafana keeps annotations in its own database), so
the export is two files: the dashboard, whose annotation queries show every Grafana annotation tagged
``vigil`` + the release slug, and the annotations themselves as bodies for Grafana's
``POST /api/annotations`` (one request each), tagged exactly so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.plan import Plan
from vigil.plan.schema import Metric
from vigil.releases.models import Release
from vigil.releases.service import get_release
from vigil.watch.models import Checkpoint, RollbackEvent
from vigil.web.charts import chart_window
from vigil.web.plans import cached_plan

HEALTH_COLOURS = {"healthy": "green", "warning": "orange", "critical": "red", "unknown": "gray"}


def export_grafana(session: Session, ref: str, now: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(dashboard JSON, annotation bodies) for one release."""
    release = get_release(session, ref)
    plan = cached_plan(session, release)
    uid = f"vigil-{release.slug}"[:40]
    checkpoints = list(
        session.scalars(
            select(Checkpoint).where(Checkpoint.release_id == release.id).order_by(Checkpoint.offset_seconds)
        )
    )
    rollback = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release.id))
    return _dashboard(release, plan, uid, now), _annotations(release, uid, checkpoints, rollback)


def prometheus_metrics(plan: Plan) -> list[Metric]:
    kinds = {s.name: s.kind for s in plan.all_sources()}
    return [m for m in plan.metrics if kinds[m.source or plan.source.name] == "prometheus" and m.query]


def _dashboard(release: Release, plan: Plan, uid: str, now: datetime) -> dict[str, Any]:
    start, end = chart_window(release, plan, now)
    tags = ["vigil", release.slug]
    panels = [_panel(i, m) for i, m in enumerate(prometheus_metrics(plan))]
    if not panels:
        panels = [
            {
                "id": 1,
                "type": "text",
                "title": "No Prometheus metrics",
                "gridPos": {"h": 4, "w": 24, "x": 0, "y": 0},
                "options": {
                    "mode": "markdown",
                    "content": "This release's plan reads no metric from a "
                    "Prometheus source, so there is nothing for Grafana to query.",
                },
            }
        ]
    return {
        "uid": uid,
        "title": f"vigil: {release.name} ({release.slug})",
        "tags": tags,
        "timezone": release.timezone if "/" in release.timezone or release.timezone == "UTC" else "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "time": {"from": start.isoformat(), "to": end.isoformat()},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                }
            ]
        },
        "annotations": {
            "list": [
                _annotation_query("vigil checkpoints", "#1e63b5", [*tags, "checkpoint"]),
                _annotation_query("vigil rollback", "#c62828", [*tags, "rollback"]),
            ]
        },
        "panels": panels,
        "description": f"Exported by vigil for {release.service} {release.version} "
        f"({release.deployment_method}); T+0 {release.started_at.isoformat()}.",
    }


def _annotation_query(name: str, colour: str, tags: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "enable": True,
        "iconColor": colour,
        "hide": False,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "target": {"type": "tags", "tags": tags, "matchAny": False, "limit": 200},
    }


def _panel(index: int, metric: Metric) -> dict[str, Any]:
    t = metric.thresholds
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if metric.bad == "up" and t.max is not None:
        steps += [
            {"color": "orange", "value": t.warning if t.warning is not None else 0.9 * t.max},
            {"color": "red", "value": t.max},
        ]
    elif metric.bad == "down" and t.min is not None:
        steps = [
            {"color": "red", "value": None},
            {"color": "orange", "value": t.min},
            {"color": "green", "value": t.warning if t.warning is not None else 1.1 * t.min},
        ]
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": metric.label,
        "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "targets": [
            {
                "refId": "A",
                "expr": metric.query,
                "legendFormat": "__auto",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
            }
        ],
        "fieldConfig": {
            "defaults": {
                "unit": _unit(metric.unit),
                "thresholds": {"mode": "absolute", "steps": steps},
                "custom": {"thresholdsStyle": {"mode": "line+area"}},
            },
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
    }


def _unit(unit: str) -> str:
    return {"%": "percent", "ms": "ms", "s": "s"}.get(unit, unit or "short")


def _annotations(
    release: Release, uid: str, checkpoints: list[Checkpoint], rollback: RollbackEvent | None
) -> list[dict[str, Any]]:
    tags = ["vigil", release.slug]
    out = []
    for c in checkpoints:
        d = c.decision
        text = (
            f"{c.name}: {d.health}, {d.go_no_go}" + (f" — {'; '.join(d.reasons)}" if d.reasons else "")
            if d
            else f"{c.name}: {c.state}. {c.note}"
        )
        out.append(
            {
                "dashboardUID": uid,
                "time": _ms(c.due_at),
                "tags": [*tags, "checkpoint", c.name, d.health if d else c.state],
                "text": text,
            }
        )
    if rollback is not None:
        end = rollback.completed_at or rollback.started_at
        body: dict[str, Any] = {
            "dashboardUID": uid,
            "time": _ms(rollback.decided_at),
            "tags": [*tags, "rollback", rollback.state],
            "text": f"Rollback ({rollback.method}, {rollback.state}): {rollback.reason}",
        }
        if end is not None and end > rollback.decided_at:
            body["timeEnd"] = _ms(end)
        out.append(body)
    return out


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
