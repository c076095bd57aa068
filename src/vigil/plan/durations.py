"""Offsets such as ``T+15m``, ``T+1h``, ``90s`` or ``1h30m`` as ``timedelta``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str | int | float) -> timedelta:
    """Parse ``15m``, ``1h30m``, ``T+4h`` or a number of seconds; ``T+0`` is zero."""
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    raw = text.strip()
    body = raw[2:] if raw.upper().startswith("T+") else raw
    if body in {"0", ""}:
        return timedelta(0)
    pos, total = 0, 0.0
    for match in _PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(body) or pos == 0:
        raise ValueError(f"'{text}' is not a duration (use e.g. 15m, 1h, 1h30m, T+4h)")
    return timedelta(seconds=total)


def format_offset(delta: timedelta) -> str:
    """The template's way of naming an offset: ``T+0``, ``T+15m``, ``T+1h``, ``T+1h30m``."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "T+0"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    text = "".join(parts)
    # 24h reads better than 1d in a post-release log.
    return "T+" + ("24h" if text == "1d" else text)


def _coerce(value: object) -> object:
    # Plans write durations the way people say them ("15m", "T+4h"); pydantic's own ISO-8601 parsing
    # still applies to anything that is not one of those.
    if isinstance(value, str) and not value.upper().startswith("P"):
        return parse_duration(value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_coerce)]
