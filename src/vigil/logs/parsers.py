"""Turning one raw line into a record: JSON lines, logfmt, access logs, syslog, plain text.

``LineParser`` tries the parser that read the previous line first (a file rarely mixes formats), then
the others in a fixed order. A line no parser understands still becomes a record (format ``raw``, the
whole line as its message) so nothing is ever dropped; the ingester counts those.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple

import orjson

from vigil.logs.header import LEVEL_NAMES, level_of, split_header
from vigil.logs.layouts import LAYOUTS
from vigil.logs.timestamps import EPOCH, find_timestamp, parse_epoch, parse_iso, syslog_year_micros

_LEVEL_NAMES = LEVEL_NAMES
# syslog severities 0..7 (RFC 5424 table 2)
_SYSLOG_LEVELS = ("fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug")


def normalise_level(value: object) -> str:
    """One of trace/debug/info/warn/error/fatal, or ``""`` when the value names no level."""
    if isinstance(value, int) and not isinstance(value, bool):
        # Numeric levels as pino and bunyan write them: 10 trace, 20 debug ... 50 error, 60 fatal.
        return ("trace", "debug", "info", "warn", "error", "fatal")[max(0, min(5, value // 10 - 1))]
    return _LEVEL_NAMES.get(str(value).strip().lower(), "")


class Parsed(NamedTuple):
    """What a parser read from one line."""

    ts: int | None  # epoch microseconds, UTC; None when the line carries no time
    level: str
    message: str
    format: str
    component: str | None = None
    host: str | None = None
    service: str | None = None
    release: str | None = None
    fields: dict[str, Any] | None = None
    # True when ``fields`` can be read back from the raw line as it is (``json_fields``, and SQLite's
    # json_extract on it give the same values): a JSON object without nested containers or repeated keys,
    # whose every key named like a role took that role. The SQLite store then does not keep them twice.
    fields_in_raw: bool = False


# A parser gives a Parsed, or a plain tuple of Parsed's fields in its order: the JSON parser does, as
# building a Parsed and unpacking it cost about three times as much as a plain tuple (JSON ingest's hot path).
ParseFn = Callable[[str, datetime, tzinfo], "tuple[Any, ...] | None"]

# ---------------------------------------------------------------- JSON lines
_TS_KEYS = ("ts", "time", "timestamp", "@timestamp", "datetime", "date", "t")
_LEVEL_KEYS = ("level", "severity", "lvl", "levelname", "log.level", "loglevel")
_MSG_KEYS = ("msg", "message", "log", "text", "event")
_SERVICE_KEYS = ("service", "service.name", "app", "application")
_RELEASE_KEYS = ("release", "version", "service.version")
_HOST_KEYS = ("host", "hostname", "host.name")
_COMPONENT_KEYS = ("logger", "component", "module", "logger_name")


def _take(doc: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in doc:
            return doc.pop(key)
    return None


def json_ts(value: Any, tz: tzinfo) -> int | None:
    if isinstance(value, str):  # tested first: by far the most common
        try:
            return parse_iso(value, tz)
        except ValueError:
            return parse_epoch(value) if value.isascii() and value.replace(".", "", 1).isdigit() else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_epoch(value)
    return None


_ROLES = {key: role for role, keys in (("ts", _TS_KEYS), ("level", _LEVEL_KEYS), ("message", _MSG_KEYS),
                                       ("service", _SERVICE_KEYS), ("release", _RELEASE_KEYS),
                                       ("host", _HOST_KEYS), ("component", _COMPONENT_KEYS))
          for key in keys}
_PLAN_ROLES = ("ts", "level", "message", "component", "host", "service", "release")
ROLE_KEYS = frozenset(_ROLES)
_PLANS: dict[tuple[str, ...], tuple[Any, ...]] = {}


def _plan(keys: tuple[str, ...]) -> tuple[Any, ...]:
    """Which key plays each role of ``_PLAN_ROLES`` in documents with these keys (the first one wins),
    then whether every key named like a role takes one (no "message" left as a field beside "msg").

    Lines of one source nearly always share a key layout, so this is worked out once per layout instead
    of once per line (this is the hot path of JSON ingest)."""
    plan = _PLANS.get(keys)
    if plan is None:
        chosen: dict[str, str] = {}
        for key in keys:
            role = _ROLES.get(key)
            if role is not None:
                chosen.setdefault(role, key)
        plan = (*(chosen.get(role) for role in _PLAN_ROLES), len(chosen) == len(ROLE_KEYS.intersection(keys)))
        if len(_PLANS) >= 4096:  # documents with ever-changing keys must not grow the cache forever
            _PLANS.clear()
        _PLANS[keys] = plan
    return plan


def parse_json(line: str, _now: datetime, tz: tzinfo) -> tuple[Any, ...] | None:
    # Written for speed (JSON ingest runs this once per line): plain ifs rather than helper calls for the
    # common case of string values.
    if line[:1] != "{":
        return None
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(doc) is not dict:
        return None
    keys = tuple(doc)
    ts_key, level_key, message_key, component_key, host_key, service_key, release_key, plain = (
        _PLANS.get(keys) or _plan(keys))
    pop = doc.pop  # what keeps no role stays behind as a field
    ts = None if ts_key is None else json_ts(pop(ts_key), tz)
    level = "" if level_key is None else pop(level_key)
    if level != "":
        level = (_LEVEL_NAMES.get(level) if type(level) is str else None) or normalise_level(level)
    message = "" if message_key is None else pop(message_key)
    if type(message) is not str:
        message = "" if message is None else str(message)
    component = None if component_key is None else pop(component_key)
    host = None if host_key is None else pop(host_key)
    service = None if service_key is None else pop(service_key)
    release = None if release_key is None else pop(release_key)
    return (
        ts, level, message, "json", component if type(component) is str else _text(component),
        host if type(host) is str else _text(host), service if type(service) is str else _text(service),
        release if type(release) is str else _text(release), doc or None,
        # No repeated key: n keys are n - 1 commas apart, and any other comma is inside a value. Nothing
        # nested: SQLite would give it back as written, not as orjson writes it (1.50, not 1.5).
        plain and line.count(",") < len(keys) and line.find("{", 1) < 0 and "[" not in line)


def json_fields(raw: str) -> dict[str, Any] | None:
    """The fields of a JSON line, as ``parse_json`` gives them (for rows stored without them)."""
    parsed = parse_json(raw, EPOCH, UTC)
    return None if parsed is None else Parsed._make(parsed).fields


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------- logfmt
_LOGFMT_PAIR = re.compile(r'([A-Za-z_@][\w.@/-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s+|$)')


def parse_logfmt(line: str, _now: datetime, tz: tzinfo) -> Parsed | None:
    doc: dict[str, Any] = {}
    pos = 0
    text = line.rstrip()
    while pos < len(text):
        m = _LOGFMT_PAIR.match(text, pos)
        if m is None:
            return None  # not logfmt all the way through: some other format with a key=value in it
        value = m.group(2)
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        doc[m.group(1)] = value
        pos = m.end()
    if len(doc) < 2:
        return None
    ts = json_ts(_take(doc, _TS_KEYS), tz)
    message = _take(doc, _MSG_KEYS)
    level = _take(doc, _LEVEL_KEYS)
    return Parsed(ts=ts, level=normalise_level(level or ""), message=message or "", format="logfmt",
                  service=_take(doc, _SERVICE_KEYS), release=_take(doc, _RELEASE_KEYS),
                  host=_take(doc, _HOST_KEYS), component=_take(doc, _COMPONENT_KEYS), fields=doc or None)


# ---------------------------------------------------------------- Apache / Nginx access logs
_ACCESS = re.compile(
    r'^(?P<client>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<ts>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-)'
    r'(?: "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?(?P<rest>.*)$')


def parse_access(line: str, _now: datetime, tz: tzinfo) -> Parsed | None:
    m = _ACCESS.match(line)
    if m is None:
        return None
    try:
        ts = int((datetime.strptime(m["ts"], "%d/%b/%Y:%H:%M:%S %z") - datetime(1970, 1, 1, tzinfo=UTC))
                 .total_seconds() * 1_000_000)
    except ValueError:
        return None
    status = int(m["status"])
    parts = m["request"].split(" ")
    fields: dict[str, Any] = {"client": m["client"], "status": status,
                              "bytes": 0 if m["bytes"] == "-" else int(m["bytes"]), "request": m["request"]}
    if len(parts) == 3:
        fields.update(method=parts[0], path=parts[1], protocol=parts[2])
    if m["user"] != "-":
        fields["user"] = m["user"]
    if m["agent"] is not None:
        fields.update(referer=m["referer"], user_agent=m["agent"])
    level = "error" if status >= 500 else "warn" if status >= 400 else "info"
    return Parsed(ts=ts, level=level, message=f'{m["request"]} {status}',
                  format="combined" if m["agent"] is not None else "common", fields=fields)


# ---------------------------------------------------------------- syslog
_RFC5424 = re.compile(r"^<(?P<pri>\d{1,3})>(?P<ver>\d{1,2}) (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) "
                      r"(?P<procid>\S+) (?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$")
_RFC3164 = re.compile(r"^(?:<(?P<pri>\d{1,3})>)?(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) "
                      r"(?P<clock>\d{2}:\d{2}:\d{2}) (?P<host>\S+) (?P<tag>[^\s:\[]+(?: \d[\w.]*)?)"
                      r"(?:\[(?P<pid>[^\]]+)\])?: ?(?P<msg>.*)$")


def _nil(value: str) -> str | None:
    return None if value == "-" else value


def parse_rfc5424(line: str, _now: datetime, tz: tzinfo) -> Parsed | None:
    m = _RFC5424.match(line)
    if m is None:
        return None
    try:
        ts = None if m["ts"] == "-" else parse_iso(m["ts"], tz)
    except ValueError:
        return None
    fields = {k: v for k in ("procid", "msgid") if (v := _nil(m[k])) is not None}
    if m["sd"] != "-":
        fields["structured_data"] = m["sd"]
    msg = (m["msg"] or "").removeprefix("\ufeff")
    return Parsed(ts=ts, level=_SYSLOG_LEVELS[int(m["pri"]) % 8], message=msg, format="rfc5424",
                  host=_nil(m["host"]), component=_nil(m["app"]), fields=fields or None)


def parse_rfc3164(line: str, now: datetime, tz: tzinfo) -> Parsed | None:
    m = _RFC3164.match(line)
    if m is None or m["mon"] not in _MONTHS or (not m["pri"] and level_of(m["host"])):
        return None  # "Jan  1 00:00:00 ERROR app.Db: ...": a level where the host would be, not syslog
    ts = syslog_year_micros(m["mon"], int(m["day"]), m["clock"], now, tz)
    level = _SYSLOG_LEVELS[int(m["pri"]) % 8] if m["pri"] else ""
    return Parsed(ts=ts, level=level, message=m["msg"], format="rfc3164", host=m["host"],
                  component=m["tag"], fields={"pid": m["pid"]} if m["pid"] else None)


_MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

# ---------------------------------------------------------------- plain text
_KNOWN = {"ts", "level", "component", "host", "message"}


def parse_layout(line: str, now: datetime, tz: tzinfo) -> Parsed | None:
    for layout in LAYOUTS:
        m = layout.pattern.match(line)
        if m is None:
            continue
        level = normalise_level(m["level"]) if "level" in layout.pattern.groupindex else ""
        if "level" in layout.pattern.groupindex and not level:
            continue  # a word where the level belongs that is no level: not this layout
        found = find_timestamp(m["ts"], now, tz)
        if found is None:
            continue
        groups = m.groupdict()
        fields = {k: v for k, v in groups.items() if k not in _KNOWN and v is not None}
        return Parsed(ts=found[0], level=level, message=groups["message"], format=layout.name,
                      component=groups.get("component"), host=groups.get("host"), fields=fields or None)
    return None


def parse_text(line: str, now: datetime, tz: tzinfo) -> Parsed | None:
    """Any line with a recognisable timestamp near its start; its header is split off generically."""
    found = find_timestamp(line, now, tz)
    if found is None:
        return None
    ts, start, end = found
    header = split_header(line, start, end)
    return Parsed(ts=ts, level=header.level, message=header.message, format="text",
                  component=header.component)


def parse_raw(line: str) -> Parsed:
    return Parsed(ts=None, level="", message=line, format="raw")


PARSERS: dict[str, ParseFn] = {
    "json": parse_json, "rfc5424": parse_rfc5424, "rfc3164": parse_rfc3164, "access": parse_access,
    "layout": parse_layout, "logfmt": parse_logfmt, "text": parse_text,
}


class LineParser:
    """Parses lines of one source; ``formats`` restricts which parsers may be tried (default: all)."""

    def __init__(self, formats: list[str] | None = None, *, now: datetime, tz: tzinfo = UTC) -> None:
        names = formats or list(PARSERS)
        unknown = [n for n in names if n not in PARSERS]
        if unknown:
            from vigil.errors import VigilError
            raise VigilError(f"unknown log format {unknown[0]!r} (known: {', '.join(PARSERS)})")
        # The catch-all text parser stays last: promoting it would shadow the specific parsers.
        self._order: list[ParseFn] = [PARSERS[n] for n in names if n != "text"]
        self._fallback = PARSERS["text"] if "text" in names else None
        self.now, self.tz = now, tz

    def parse(self, line: str) -> Parsed:
        parsed = self.parse_row(line)
        return parsed if type(parsed) is Parsed else Parsed._make(parsed)

    def parse_row(self, line: str) -> tuple[Any, ...]:
        """``parse``'s fields, as a Parsed or a plain tuple in its order (see ``ParseFn``)."""
        order = self._order
        if order and (parsed := order[0](line, self.now, self.tz)) is not None:
            return parsed  # the common case, without the loop's bookkeeping
        for i, parse in enumerate(order[1:], start=1):
            parsed = parse(line, self.now, self.tz)
            if parsed is not None:
                if i:  # remember the winner: the next line most likely has the same format
                    order.insert(0, order.pop(i))
                return parsed
        if self._fallback is not None and (parsed := self._fallback(line, self.now, self.tz)) is not None:
            return parsed
        return parse_raw(line)
