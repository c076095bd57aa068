"""Timestamp recognition: the date and time forms real logs use, turned into epoch microseconds (UTC).

``find_timestamp`` takes the left-most date and time near the start of a line, in any of the common
forms (not one rule per log layout), which is how a reader spots the time in an unknown plain-text log.
Naive times are read in the zone the caller gives (UTC unless told otherwise); a time without a year
takes the year of ``now`` and steps back a year if that would put it more than a day in the future.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

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


_MONTH_NAMES = {name.lower(): number for name, number in MONTHS.items()} | {
    "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12}

# Building blocks of the forms below. Each form is a regex whose named groups are the parts of a time:
# Y (year, 4 digits), y (2 digits), m (month number), b (month name), d, H, M, S, f (fraction), z (zone).
_B = r"(?P<b>(?i:" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r"))\.?"
_CLOCK = r"(?P<H>\d{1,2})[:.](?P<M>\d{1,2})(?:[:.](?P<S>\d{1,2}))?(?:(?P<fs>[.,:])(?P<f>\d{1,9}))?"
_STRICT_CLOCK = r"(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})(?:(?P<fs>[.,:])(?P<f>\d{1,9}))?"
_ZONE = r"(?: ?(?P<z>Z|[+-]\d{2}:?\d{2}|UTC|GMT))?"
_WEEKDAY = r"(?:(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6},? )"
_FORMS = [
    # 2024-01-02T03:04:05.678Z, 2024/01/02 03:04:05,678, 2005.06.03-15.42.50.675872, 2024-01-02_03:04:05
    rf"(?P<Y>\d{{4}})(?P<s1>[-/.])(?P<m>\d{{1,2}})(?P=s1)(?P<d>\d{{1,2}})(?:[T _-]|, ?| +){_CLOCK}{_ZONE}",
    # 20171223-22:15:29:606, 20240102T030405, 20240102 03:04:05
    rf"(?P<Y>\d{{4}})(?P<m>\d{{2}})(?P<d>\d{{2}})[T -]{_CLOCK}{_ZONE}",
    r"(?P<Y>\d{4})(?P<m>\d{2})(?P<d>\d{2})T(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?"
    + _ZONE,
    # 17/06/09 20:10:40 (year first, as two digits)
    rf"(?P<y>\d{{2}})/(?P<m>\d{{2}})/(?P<d>\d{{2}}) {_CLOCK}",
    # 01/02/2024 03:04:05 and 01.02.2024 03:04:05 (day or month first: a first field over 12 is a day)
    rf"(?P<m>\d{{1,2}})(?P<s1>[-/.])(?P<d>\d{{1,2}})(?P=s1)(?P<Y>\d{{4}})(?:[ T]|, ?){_CLOCK}{_ZONE}",
    # 10/Oct/2000:13:55:36 -0700 (common log format)
    rf"(?P<d>\d{{1,2}})/{_B}/(?P<Y>\d{{4}}):{_CLOCK}{_ZONE}",
    # Sun Dec 04 04:47:44 2005, Dec  4 04:47:44 2005, Dec 04 2005 04:47:44, Dec 4 04:47:44 (no year)
    # (a year after the clock only after a weekday, as ctime writes it: "Jan  1 00:00:00 2005" is a pid)
    rf"{_WEEKDAY}{_B} +(?P<d>\d{{1,2}}),? +{_CLOCK}(?: (?P<Y2>(?:19|20)\d{{2}}))?{_ZONE}",
    rf"{_B} +(?P<d>\d{{1,2}}),? +(?:(?P<Y>\d{{4}}) +)?{_CLOCK}{_ZONE}",
    # 04 Dec 2005 04:47:44, Sun, 04 Dec 2005 04:47:44 +0000
    rf"{_WEEKDAY}?(?P<d>\d{{1,2}})[ -]{_B}[ -](?P<Y>\d{{4}})[ :]{_CLOCK}{_ZONE}",
    # 081109 203615 (yymmdd hhmmss)
    r"(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2}) (?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})(?!\d)",
    # 03-17 16:13:38.811, 10.30 16:49:06 (month and day, no year)
    rf"(?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}})[ T]{_STRICT_CLOCK}",
]


def _numbered(index: int, rx: str) -> str:
    """The form with its group names made unique (``Y`` becomes ``Y_3``), inside a group ``t3``."""
    return f"(?P<t{index}>" + re.sub(r"\(\?P([<=])(\w+)", rf"(?P\1\2_{index}", rx) + ")"


# One alternation (one scan of the line instead of one per form); at a position the first form that
# matches wins, so the longer forms come first above.
_ANY = re.compile(r"(?<![\w.:/+-])(?:" + "|".join(_numbered(i, rx) for i, rx in enumerate(_FORMS))
                  + r")(?![\w:])")
_PARTS = {f"t{i}": [(name, name.rsplit("_", 1)[0]) for name in re.compile(_numbered(i, rx)).groupindex
                    if name != f"t{i}"] for i, rx in enumerate(_FORMS)}
_EPOCH = re.compile(r"(?<![\w.:-])(?:1\d{9}|1\d{12})(?:\.\d{1,6})?(?![\w.:-])")
SEARCH_WINDOW = 80  # a timestamp further into the line than this is data, not the line's time


def find_timestamp(line: str, now: datetime, tz: tzinfo = UTC) -> tuple[int, int, int] | None:
    """``(micros, start, end)`` of the left-most date and time near the start of ``line``, else of an
    epoch number there (seconds or milliseconds): a written date is what the writer meant for people,
    a bare number could be any id.

    The forms cover dates with or without a year, with ``-``, ``/`` or ``.`` between the parts, the
    fraction after ``.``, ``,`` or ``:``, month names in any case, an optional zone."""
    head = line[: SEARCH_WINDOW + 48]
    pos = 0
    while (m := _ANY.search(head, pos)) is not None and m.start() <= SEARCH_WINDOW:
        moment = _convert(m, now, tz)
        if moment is not None:
            return moment, m.start(), m.end()
        pos = m.start() + 1  # not a real date (month 13): look further
    e = _EPOCH.search(head)
    if e is not None and e.start() <= SEARCH_WINDOW:
        return parse_epoch(e.group(0)), e.start(), e.end()
    return None


def _convert(m: re.Match[str], now: datetime, tz: tzinfo) -> int | None:
    g = {part: m.group(name) for name, part in _PARTS[m.lastgroup or ""]}
    try:
        if g.get("p"):  # 01/02/2024: month first unless the first field cannot be a month
            first, second = int(g["p"]), int(g["q"])
            month, day = (second, first) if first > 12 else (first, second)
        else:
            name = g.get("b")
            found = _MONTH_NAMES.get(name.lower()) if name else int(g["m"])
            if found is None:
                return None
            month, day = found, int(g["d"])
        year_text = g.get("Y") or g.get("Y2")
        year = int(year_text) if year_text else (2000 + int(g["y"]) if g.get("y") else None)
        digits = g.get("f") or ""
        # After a colon the writer counts milliseconds, not always zero-padded (22:16:0:11 is 11 ms);
        # after a point or comma the digits are a decimal fraction.
        fraction = int(digits) * 1000 if g.get("fs") == ":" and len(digits) <= 3 else int(
            digits[:6].ljust(6, "0"))
        clock = (int(g["H"]), int(g["M"]), int(g.get("S") or 0), fraction)
        zone = _zone(g.get("z"), tz)
        if year is None:
            moment = datetime(now.year, month, day, *clock, tzinfo=zone)
            if moment - now > timedelta(days=1):  # no year: the latest such date not a day ahead of now
                moment = moment.replace(year=now.year - 1)
        else:
            moment = datetime(year, month, day, *clock, tzinfo=zone)
    except (ValueError, TypeError, OverflowError):
        return None
    return micros(moment)


def _zone(text: str | None, tz: tzinfo) -> tzinfo:
    if not text or text in ("Z", "UTC", "GMT"):
        return UTC if text else tz
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
