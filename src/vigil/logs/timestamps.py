"""Timestamp recognition: the layouts real logs use, turned into epoch microseconds (UTC).

Each layout is a regex plus a converter; ``find_timestamp`` takes the left-most match near the start of
a line, which is how a reader spots the time in an unknown plain-text log. Naive times are read in the
zone the caller gives (UTC unless told otherwise); a syslog time has no year, so it takes the year of
``now`` and steps back a year if that would put it more than a day in the future.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}


def micros(dt: datetime) -> int:
    return (dt - EPOCH) // _US


def _aware(dt: datetime, tz: tzinfo) -> datetime:
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt


def parse_iso(text: str, tz: tzinfo = UTC) -> int:
    """ISO 8601 (``T`` or space, ``.`` or ``,`` before the fraction, ``Z`` or an offset)."""
    # Written out (no helper calls, no copy without a comma): JSON ingest runs this once per line.
    moment = datetime.fromisoformat(text.replace(",", ".", 1) if "," in text else text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return (moment - EPOCH) // _US


def parse_epoch(value: float | int | str) -> int:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude."""
    number = float(value)
    magnitude = abs(number)
    if magnitude < 1e11:
        return round(number * 1_000_000)
    if magnitude < 1e14:
        return round(number * 1_000)
    if magnitude < 1e17:
        return int(number)
    return int(number) // 1000


def syslog_year_micros(month: str, day: int, clock: str, now: datetime, tz: tzinfo) -> int:
    hour, minute, second = (int(p) for p in clock.split(":"))
    moment = datetime(now.year, MONTHS[month], day, hour, minute, second, tzinfo=tz)
    if moment - now > timedelta(days=1):
        moment = moment.replace(year=now.year - 1)
    return micros(moment)


def _strptime(fmt: str) -> Callable[[re.Match[str], datetime, tzinfo], int]:
    def convert(m: re.Match[str], _now: datetime, tz: tzinfo) -> int:
        text = m.group(0)
        return micros(_aware(datetime.strptime(text, fmt), tz))
    return convert


def _iso(m: re.Match[str], _now: datetime, tz: tzinfo) -> int:
    return parse_iso(m.group(0), tz)


def _syslog(m: re.Match[str], now: datetime, tz: tzinfo) -> int:
    month, day, clock = m.group(0).split()
    return syslog_year_micros(month, int(day), clock, now, tz)


def _milli_colon(m: re.Match[str], _now: datetime, tz: tzinfo) -> int:
    # 20171223-22:15:29:606: the milliseconds follow a colon, which strptime cannot express.
    # The writer does not zero-pad the clock fields either (22:16:0:119).
    day, clock = m.group(0).split("-")
    hour, minute, second, ms = (int(p) for p in clock.split(":"))
    moment = datetime(int(day[:4]), int(day[4:6]), int(day[6:]), hour, minute, second, ms * 1000)
    return micros(_aware(moment, tz))


def _bgl(m: re.Match[str], _now: datetime, tz: tzinfo) -> int:
    return micros(_aware(datetime.strptime(m.group(0), "%Y-%m-%d-%H.%M.%S.%f"), tz))


def _epoch(m: re.Match[str], _now: datetime, _tz: tzinfo) -> int:
    return parse_epoch(m.group(0))


Converter = Callable[[re.Match[str], datetime, tzinfo], int]

# Order matters only for layouts that can start at the same position: the longer, more specific first.
LAYOUTS: list[tuple[str, str, Converter]] = [
    ("iso", r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?", _iso),
    ("dashed", r"\d{4}-\d{2}-\d{2}-\d{2}\.\d{2}\.\d{2}\.\d{6}", _bgl),
    ("clf", r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}", _strptime("%d/%b/%Y:%H:%M:%S %z")),
    ("ctime", r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}",
     _strptime("%a %b %d %H:%M:%S %Y")),
    ("compact-ms", r"\d{8}-\d{1,2}:\d{1,2}:\d{1,2}:\d{1,3}", _milli_colon),
    ("yy/mm/dd", r"\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}", _strptime("%y/%m/%d %H:%M:%S")),
    ("yymmdd", r"\d{6} \d{6}(?!\d)", _strptime("%y%m%d %H%M%S")),
    ("syslog", r"[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}", _syslog),
    ("epoch", r"(?<!\d)1\d{9}(?:\.\d{1,6})?(?!\d)", _epoch),
]


def _group(name: str) -> str:
    return name.replace("-", "_").replace("/", "_")


_ANY = re.compile("|".join(f"(?P<{_group(name)}>{rx})" for name, rx, _ in LAYOUTS))
_CONVERT = {_group(name): conv for name, _, conv in LAYOUTS}
SEARCH_WINDOW = 80  # a timestamp further into the line than this is data, not the line's time


def find_timestamp(line: str, now: datetime, tz: tzinfo = UTC) -> tuple[int, int, int] | None:
    """``(micros, start, end)`` of the left-most recognisable timestamp near the start of ``line``."""
    m = _ANY.search(line, 0, SEARCH_WINDOW + 40)
    if m is None or m.start() > SEARCH_WINDOW or m.lastgroup is None:
        return None
    try:
        return _CONVERT[m.lastgroup](m, now, tz), m.start(), m.end()
    except ValueError:
        return None
