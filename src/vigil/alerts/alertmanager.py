"""Prometheus Alertmanager's webhook payload (version 4) and how its alerts map onto vigil.

An alert is mapped to a release by its ``release`` label (slug or number), else to the active release of
its ``service`` label (``version`` narrows it down); an alert that maps to no release is still stored,
under its service, so nothing Alertmanager says is lost. A closed release is read-only: a new alert for
it is stored under its service only, and a repeat or resolution of an alert it already holds is dropped
(the other alerts of the payload are stored as usual).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.models import Alert
from vigil.alerts.service import fire_alert, resolve_alert
from vigil.errors import ReleaseClosed, VigilError
from vigil.releases.models import Release
from vigil.store.types import record_number

ACTIVE = ("watching", "rolling_back")
MAX_DEPTH = 16  # a v4 payload is three levels deep; anything far deeper is not one
MAX_COLUMN = 200  # the longest alertname, service or fingerprint the alerts table holds
# The times an alert may carry: what the store and every reader of it can convert to UTC and back.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
GO_ZERO_TIME_YEAR = 1  # Alertmanager sends endsAt 0001-01-01T00:00:00Z for "not ended"


class PayloadError(VigilError):
    """A webhook body that is not a valid Alertmanager payload; nothing of it is stored."""


class AmAlert(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(min_length=1)
    annotations: dict[str, str] = {}
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = Field(default="", max_length=MAX_COLUMN - 3)

    @field_validator("starts_at")
    @classmethod
    def _starts_in_range(cls, value: datetime) -> datetime:
        return in_range(value)

    @field_validator("ends_at")
    @classmethod
    def _ends_in_range(cls, value: datetime | None) -> datetime | None:
        if value is None or value.year == GO_ZERO_TIME_YEAR:
            return None
        return in_range(value)

    @field_validator("labels")
    @classmethod
    def _column_labels_fit(cls, labels: dict[str, str]) -> dict[str, str]:
        return column_labels_fit(labels)


def column_labels_fit(labels: dict[str, str]) -> dict[str, str]:
    """Refuse labels that become columns of the alert (rule, service, ...) and are too long for them."""
    for name in ("alertname", "service", "severity", "release", "version", "job"):
        if len(labels.get(name, "")) > MAX_COLUMN:
            raise ValueError(f"label {name!r} is longer than {MAX_COLUMN} characters")
    return labels


def in_range(value: datetime) -> datetime:
    """``value`` in UTC, when it lies between 1970 and 2200; naive times are read as UTC."""
    try:
        moment = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    except OverflowError:
        moment = LATEST  # e.g. 9999-12-31T23:59:59-23:59, past the last representable instant
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"time {value.isoformat()} is outside {EARLIEST.year}..{LATEST.year}")
    return moment


class AmPayload(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    version: Literal["4"]
    group_key: str = Field(alias="groupKey")
    status: Literal["firing", "resolved"]
    receiver: str
    group_labels: dict[str, str] = Field(default={}, alias="groupLabels")
    common_labels: dict[str, str] = Field(default={}, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default={}, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts")
    alerts: list[AmAlert] = Field(min_length=1)

    @field_validator("common_labels")
    @classmethod
    def _column_labels_fit(cls, labels: dict[str, str]) -> dict[str, str]:
        return column_labels_fit(labels)  # an alert's own labels are merged over these


def parse_payload(body: bytes) -> AmPayload:
    """Validate a webhook body; raise ``PayloadError`` with a one-line reason."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not JSON: {exc}") from None
    except RecursionError:
        raise PayloadError(f"body is not JSON an Alertmanager sends: nested deeper than {MAX_DEPTH}") from None
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object (an Alertmanager webhook payload)")
    _check_storable(data)
    try:
        return AmPayload.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise PayloadError(f"{where}: {first['msg']}") from None


def _check_storable(data: Any) -> None:
    """Reject what no column can hold: deep nesting, NUL characters and lone surrogates in strings
    (valid JSON, but PostgreSQL's text and every UTF-8 encoder refuse them)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise PayloadError(f"body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            pending.extend((part, depth + 1) for pair in node.items() for part in pair)
        elif isinstance(node, list):
            pending.extend((item, depth + 1) for item in node)
        elif isinstance(node, str):
            if "\x00" in node:
                raise PayloadError("a string of the body holds a NUL character")
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise PayloadError("a string of the body holds a lone surrogate (not text)") from None


def ingest(session: Session, payload: AmPayload, now: datetime) -> list[Alert]:
    """Store every alert of the group: firing ones fire (idempotent), resolved ones resolve."""
    stored = []
    for item in payload.alerts:
        try:
            stored.append(_ingest_one(session, payload, item, now))
        except ReleaseClosed:
            continue  # refused before anything of it was written
    return stored


def _ingest_one(session: Session, payload: AmPayload, item: AmAlert, now: datetime) -> Alert:
    labels = {**payload.common_labels, **item.labels}
    release = map_release(session, labels)
    fp = "am/" + (item.fingerprint or _label_hash(labels))
    summary = (
        item.annotations.get("summary") or item.annotations.get("description") or labels.get("alertname", "alert")
    )
    alert = fire_alert(
        session,
        release_id=release.id if release else None,
        rule=labels.get("alertname", "alertmanager"),
        severity=labels.get("severity", ""),
        fingerprint=fp,
        summary=summary,
        labels=labels,
        now=item.starts_at,
        source="alertmanager",
        service=labels.get("service", ""),
    )
    if item.status == "resolved":
        resolved = resolve_alert(session, fingerprint=fp, now=now, at=item.ends_at or now)
        alert = resolved or alert
    return alert


def map_release(session: Session, labels: dict[str, str]) -> Release | None:
    ref = labels.get("release")
    if ref:
        number = record_number(ref)  # anything but a number an id column holds is a slug
        found = session.scalar(select(Release).where(
            Release.id == number if number is not None else Release.slug == ref))
        if found is not None:
            return found if found.closed_at is None else None
    service = labels.get("service") or labels.get("job")
    if not service:
        return None
    query = (
        select(Release)
        .where(Release.service == service, Release.status.in_(ACTIVE), Release.closed_at.is_(None))
        .order_by(Release.started_at.desc(), Release.id.desc())
    )
    if labels.get("version"):
        query = query.where(Release.version == labels["version"])
    return session.scalars(query).first()


def _label_hash(labels: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
