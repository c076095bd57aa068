"""Parsers against the loghub reference parses, and each format on its own."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil.logs.parsers import LineParser, normalise_level
from vigil.logs.timestamps import micros

from .support import NOW, SYSTEMS


def _reference(loghub: Path, system: str) -> tuple[list[str], list[dict[str, str]]]:
    lines = (loghub / system / f"{system}_2k.log").read_text(encoding="utf-8", errors="replace").splitlines()
    with (loghub / system / f"{system}_2k.log_structured.csv").open(encoding="utf-8", errors="replace") as fh:
        rows = list(csv.DictReader(fh))
    assert len(lines) == len(rows) == 2000
    return lines, rows


def _dt(text: str, fmt: str) -> int:
    return micros(datetime.strptime(text, fmt).replace(tzinfo=UTC))


def expected_ts(system: str, r: dict[str, str]) -> int:
    """The reference time of a row, from the columns each system's structured file has."""
    if system == "Apache":
        return _dt(r["Time"], "%a %b %d %H:%M:%S %Y")
    if system == "BGL":
        return _dt(r["Time"], "%Y-%m-%d-%H.%M.%S.%f")
    if system == "HDFS":
        return _dt(f"{r['Date']:0>6} {r['Time']:0>6}", "%y%m%d %H%M%S")
    if system in ("Hadoop", "Zookeeper"):
        return _dt(f"{r['Date']} {r['Time']}", "%Y-%m-%d %H:%M:%S,%f")
    if system == "HealthApp":
        day, clock = r["Time"].split("-")
        h, m, s, ms = (int(p) for p in clock.split(":"))
        return micros(datetime.strptime(day, "%Y%m%d").replace(hour=h, minute=m, second=s,
                                                                   microsecond=ms * 1000, tzinfo=UTC))
    if system in ("Linux", "OpenSSH"):
        month, day = (r["Month"], r["Date"]) if system == "Linux" else (r["Date"], r["Day"])
        moment = _dt(f"{NOW.year} {month} {int(day)} {r['Time']}", "%Y %b %d %H:%M:%S")
        # No year in the line: it is the latest such date not more than a day after "now".
        return moment if moment <= micros(NOW) + 86_400_000_000 else _dt(
            f"{NOW.year - 1} {month} {int(day)} {r['Time']}", "%Y %b %d %H:%M:%S")
    if system == "OpenStack":
        return _dt(f"{r['Date']} {r['Time']}", "%Y-%m-%d %H:%M:%S.%f")
    if system == "Spark":
        return _dt(f"{r['Date']} {r['Time']}", "%y/%m/%d %H:%M:%S")
    raise AssertionError(system)


@pytest.mark.parametrize("system", SYSTEMS)
def test_loghub_timestamps_levels_components_and_messages(loghub: Path, system: str) -> None:
    lines, rows = _reference(loghub, system)
    parser = LineParser(now=NOW)
    parsed = [parser.parse(line) for line in lines]
    assert all(p.format != "raw" for p in parsed)  # every line of every system is understood
    assert [p.ts for p in parsed] == [expected_ts(system, r) for r in rows]
    if "Level" in rows[0] and system != "Linux":  # loghub's Linux "Level" column holds the host name
        assert [p.level for p in parsed] == [normalise_level(r["Level"]) for r in rows]
        assert all(p.level for p in parsed)
    if system == "Zookeeper":  # loghub splits thread and class at the first ':', we at the last
        assert [p.component for p in parsed] == [r["Component"].rsplit(":", 1)[-1] for r in rows]
    elif system == "OpenSSH":  # loghub's "Component" column holds the host name
        assert [p.host for p in parsed] == [r["Component"] for r in rows]
    elif "Component" in rows[0]:
        matches = sum(p.component == r["Component"] for p, r in zip(parsed, rows, strict=True))
        assert matches >= 1999 if system == "Linux" else matches == 2000
    content = sum(p.message.strip() == r["Content"].strip() for p, r in zip(parsed, rows, strict=True))
    assert content >= 1999 if system == "Linux" else content == 2000


def test_json_line_keeps_known_keys_as_columns_and_the_rest_as_fields() -> None:
    p = LineParser(now=NOW).parse('{"time":"2026-11-24T10:00:00.5+01:00","severity":"WARNING",'
                                  '"service":"checkout","msg":"slow","user_id":7,"version":"2.3.0"}')
    assert (p.format, p.level, p.service, p.release) == ("json", "warn", "checkout", "2.3.0")
    assert p.message == "slow"
    assert p.ts == micros(datetime(2026, 11, 24, 9, 0, 0, 500000, tzinfo=UTC))
    assert p.fields == {"user_id": 7}


def test_json_epoch_milliseconds() -> None:
    p = LineParser(now=NOW).parse('{"ts":1764000000123,"level":50,"message":"boom"}')
    assert p.ts == 1764000000123 * 1000 and p.level == "error"


def test_logfmt() -> None:
    p = LineParser(now=NOW).parse('ts=2026-11-24T10:00:00Z level=error msg="payment failed: \\"expired\\"" '
                                  "order=42 service=payments")
    assert (p.format, p.level, p.service) == ("logfmt", "error", "payments")
    assert p.message == 'payment failed: "expired"' and p.fields == {"order": "42"}


def test_combined_and_common_access_logs() -> None:
    parser = LineParser(now=NOW)
    combined = parser.parse('203.0.113.9 - alice [24/Nov/2026:10:00:00 +0100] "GET /cart?id=1 HTTP/1.1" 503 '
                            '512 "https://shop.example/" "Mozilla/5.0 (X11)"')
    assert (combined.format, combined.level) == ("combined", "error")
    assert combined.ts == micros(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert combined.fields is not None and combined.fields["path"] == "/cart?id=1"
    assert combined.fields["user_agent"] == "Mozilla/5.0 (X11)" and combined.fields["user"] == "alice"
    common = parser.parse('10.0.0.1 - - [24/Nov/2026:10:00:01 +0000] "POST /login HTTP/1.0" 404 -')
    assert (common.format, common.level) == ("common", "warn")
    assert common.fields is not None and common.fields["bytes"] == 0


def test_syslog_rfc5424_and_rfc3164_with_priority() -> None:
    parser = LineParser(now=NOW)
    p = parser.parse('<165>1 2026-11-24T10:00:00.003Z web1 checkout 811 ID47 [origin ip="10.0.0.1"] '
                     "card declined")
    assert (p.format, p.level, p.host, p.component, p.message) == ("rfc5424", "info", "web1", "checkout",
                                                                   "card declined")
    assert p.fields == {"procid": "811", "msgid": "ID47", "structured_data": '[origin ip="10.0.0.1"]'}
    q = parser.parse("<11>Nov 23 23:59:59 db2 postgres[77]: could not write block")
    assert (q.format, q.level, q.host, q.component) == ("rfc3164", "error", "db2", "postgres")
    # No year in RFC 3164: the year of "now", or the one before when that would be in the future.
    assert q.ts == micros(datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC))
    december = parser.parse("Dec 31 23:00:00 db2 cron[1]: ran")
    assert december.ts == micros(datetime(2025, 12, 31, 23, 0, tzinfo=UTC))


def test_plain_text_timestamp_detection_and_raw_fallback() -> None:
    parser = LineParser(now=NOW)
    p = parser.parse("2026-11-24 10:00:00.250 [WARN] disk almost full on /var")
    assert (p.format, p.level) == ("text", "warn") and p.message == "disk almost full on /var"
    assert p.ts == micros(datetime(2026, 11, 24, 10, 0, 0, 250000, tzinfo=UTC))
    raw = parser.parse("no time and no structure here")
    assert (raw.format, raw.ts, raw.message) == ("raw", None, "no time and no structure here")
