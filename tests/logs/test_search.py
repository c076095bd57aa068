"""Search returns exactly the lines grep finds, on SQLite (FTS5) and on PostgreSQL."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text as sql_text

from vigil.logs.ingest import Source
from vigil.logs.query import QueryError, parse_query
from vigil.logs.search import FilterError, LogFilter, count, fields_from, levels_from, per_minute, search
from vigil.logs.service import ingest_file
from vigil.store import Store

from .support import NOW

FILES = {"apache": "Apache", "openssh": "OpenSSH", "hdfs": "HDFS", "zookeeper": "Zookeeper"}


def _grep(args: list[str], path: Path) -> list[str]:
    done = subprocess.run(["grep", "-i", *args, str(path)], capture_output=True, text=True, check=False,
                          env={"LC_ALL": "C.UTF-8"})
    return done.stdout.splitlines()


def _all_lines(store: Store, flt: LogFilter) -> list[str]:
    out, offset = [], 0
    with store.read() as session:
        while True:
            page = search(session, flt, limit=500, offset=offset)
            out += [line.raw for line in page.lines]
            if not page.has_more:
                return out
            offset += 500


@pytest.fixture
def loaded(any_store: Store, loghub: Path) -> Store:
    for service, system in FILES.items():
        ingest_file(any_store, loghub / system / f"{system}_2k.log", Source(system, service), now=NOW)
    return any_store


WORDS = [("apache", "error"), ("apache", "jk2_init"), ("apache", "workerEnv"), ("openssh", "Failed"),
         ("openssh", "root"), ("openssh", "preauth"), ("hdfs", "PacketResponder"), ("hdfs", "blk_"),
         ("zookeeper", "myid"), ("zookeeper", "Notification"), ("openssh", "173.234.31.186")]


@pytest.mark.parametrize(("service", "term"), WORDS)
def test_a_word_returns_exactly_the_lines_grep_finds(loaded: Store, loghub: Path, service: str,
                                                     term: str) -> None:
    path = loghub / FILES[service] / f"{FILES[service]}_2k.log"
    expected = _grep(["-w", "-F", term], path)
    found = _all_lines(loaded, LogFilter(text=f'"{term}"', services=(service,)))
    assert Counter(found) == Counter(expected)
    with loaded.read() as session:
        assert count(session, LogFilter(text=term, services=(service,))) == len(expected)


def test_phrases_and_boolean_operators_match_grep(loaded: Store, loghub: Path) -> None:
    path = loghub / "OpenSSH" / "OpenSSH_2k.log"

    def numbered(args: list[str]) -> set[int]:
        return {int(line.split(":", 1)[0]) for line in _grep(["-n", *args], path)}

    every = set(range(1, 2001))
    invalid, user, failed = numbered(["-w", "invalid"]), numbered(["-w", "user"]), numbered(["-w", "failed"])
    phrase = numbered(["-wE", "invalid[^[:alnum:]_]+user"])
    reversed_phrase = numbered(["-wE", "user[^[:alnum:]_]+invalid"])
    lines = path.read_text(encoding="utf-8").splitlines()
    cases = {
        '"invalid user"': phrase,
        '"user invalid"': reversed_phrase,
        "invalid AND failed": invalid & failed,
        "invalid failed": invalid & failed,
        "invalid OR failed": invalid | failed,
        "user NOT invalid": user - invalid,
        "NOT user": every - user,
        "(invalid OR failed) AND NOT user": (invalid | failed) - user,
    }
    for query, numbers in cases.items():
        found = _all_lines(loaded, LogFilter(text=query, services=("openssh",)))
        assert Counter(found) == Counter(lines[n - 1] for n in numbers), query
    assert phrase  # the phrase case is not vacuous


def test_newest_first_with_paging_and_filters(loaded: Store) -> None:
    with loaded.read() as session:
        first = search(session, LogFilter(services=("apache",), levels=("error",)), limit=100)
        second = search(session, LogFilter(services=("apache",), levels=("error",)), limit=100, offset=100)
        total = count(session, LogFilter(services=("apache",), levels=("error",)))
    stamps = [line.ts for line in first.lines + second.lines]
    assert stamps == sorted(stamps, reverse=True) and first.has_more
    assert {line.level for line in first.lines} == {"error"} and total == 595
    assert not {line.id for line in first.lines} & {line.id for line in second.lines}
    newest = first.lines[0].ts
    with loaded.read() as session:
        flt = LogFilter(services=("apache",), since=newest - timedelta(minutes=1))
        window = search(session, flt, limit=1000)
    assert window.lines and all(line.ts >= newest - timedelta(minutes=1) for line in window.lines)


def test_field_filters_on_columns_and_json_fields(loaded: Store, loghub: Path) -> None:
    with loaded.read() as session:
        by_host = count(session, LogFilter(fields=(("host", "LabSZ"),)))
        by_pid = count(session, LogFilter(services=("hdfs",), fields=(("pid", "148"),)))
    assert by_host == 2000
    hdfs = (loghub / "HDFS" / "HDFS_2k.log").read_text().splitlines()
    assert by_pid == sum(1 for line in hdfs if line.split()[2] == "148")


def test_counts_per_level_per_minute(loaded: Store) -> None:
    with loaded.read() as session:
        rows = per_minute(session, LogFilter(services=("apache",)))
    assert sum(r.count for r in rows) == 2000
    assert sum(r.count for r in rows if r.level == "error") == 595
    assert all(r.minute.second == 0 for r in rows)
    assert [r.minute for r in rows] == sorted(r.minute for r in rows)


def test_bad_queries_and_filters_fail_with_one_clear_error() -> None:
    with pytest.raises(QueryError, match="unbalanced quote"):
        parse_query('"open phrase')
    with pytest.raises(QueryError, match="missing"):
        parse_query("(a OR b")
    with pytest.raises(QueryError, match="no letters"):
        parse_query("--- AND x")
    with pytest.raises(FilterError, match="unknown level"):
        levels_from("loud", None)
    with pytest.raises(FilterError, match="key=value"):
        fields_from(["nonsense"])
    assert levels_from("warn", None) == ("warn", "error", "fatal")


def test_newest_first_holds_when_lines_arrive_out_of_time_order(any_store: Store) -> None:
    """Backfilled history (older lines stored after newer ones) must not push them ahead or lose any."""
    def lines(start_minute: int, n: int) -> list[str]:
        return [f'{{"ts":"{(NOW + timedelta(minutes=start_minute, seconds=i)).isoformat()}",'
                f'"level":"error","msg":"disk full {i}"}}' for i in range(n)]

    from vigil.logs.ingest import ingest_lines
    ingest_lines(any_store, lines(0, 3000), Source("live", "app"), now=NOW)  # recent, arrives first
    ingest_lines(any_store, lines(-600, 5000), Source("backfill", "app"), now=NOW)  # older, arrives later
    ingest_lines(any_store, lines(30, 10), Source("live", "app"), now=NOW)  # newest of all
    with any_store.read() as session:
        pages = [search(session, LogFilter(text="disk full"), limit=700, offset=o) for o in (0, 700, 7700)]
        every = [line for page in pages for line in page.lines]
        plain = search(session, LogFilter(levels=("error",)), limit=8010)
    assert [x.id for x in every[:1400]] == [x.id for x in plain.lines[:1400]]
    assert [x.id for x in pages[2].lines] == [x.id for x in plain.lines[7700:]]
    assert pages[0].lines[0].source == "live" and pages[0].has_more and not pages[2].has_more


JSON_LINES = [
    '{"ts":"2026-11-24T10:00:01Z","level":"info","msg":"a","order":"7","user":"ann"}',
    '{"ts":"2026-11-24T10:00:02Z","msg":"b","order":"7","order":"8"}',  # a repeated key: the last one counts
    '{"ts":"2026-11-24T10:00:03Z","msg":"c","message":"m","order":"7"}',  # "message" is left as a field
    '{"ts":"2026-11-24T10:00:04Z","msg":"d","ctx":{"order":"7","n":1.50},"order":"9"}',
    '{"ts":"2026-11-24T10:00:05Z","level":"warn","msg":"e"}',
    '{"ts":"2026-11-24T10:00:06Z","msg":"f, with a comma","order":"7"}',
    '{"ts":"2026-11-24T10:00:07Z","msg":"g","order":7,"ctx":{"n":1.50}}',
]


def test_json_fields_search_and_read_back_as_the_parser_gives_them(any_store: Store) -> None:
    """Wherever the store keeps a JSON line's fields (the SQLite store reads plain ones from the raw line),
    a field filter finds the lines whose parsed fields hold that value, and each line shows those fields."""
    from vigil.logs.ingest import ingest_lines
    from vigil.logs.parsers import LineParser

    ingest_lines(any_store, JSON_LINES, Source("api", "api"), now=NOW)
    parsed = {line: LineParser(now=NOW).parse(line).fields or {} for line in JSON_LINES}
    filters = [("order", "7"), ("order", "8"), ("order", "9"), ("user", "ann"), ("message", "m"),
               ("level", "warn"), ("msg", "a"), ("ctx", '{"n":1.5}'), ("missing", "x")]
    with any_store.read() as session:
        for key, value in filters:
            found = {line.raw for line in search(session, LogFilter(fields=((key, value),)), limit=100).lines}
            expected = {line for line, fields in parsed.items()
                        if key in fields and not isinstance(fields[key], dict) and str(fields[key]) == value}
            if key == "ctx" and any_store.is_sqlite:  # JSON text as SQLite writes it (PostgreSQL adds spaces)
                expected = {JSON_LINES[6]}
            assert found == expected, (key, value)
        shown = {line.raw: line.fields for line in search(session, LogFilter(), limit=100).lines}
        kept = session.scalar(sql_text("SELECT count(*) FROM log_records WHERE fields IS NOT NULL"))
    assert shown == {line: fields or None for line, fields in parsed.items()}
    # SQLite keeps only the fields it could not read back from the raw line ("a"'s; "e" has none).
    assert kept == (5 if any_store.is_sqlite else 6)
