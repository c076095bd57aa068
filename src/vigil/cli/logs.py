"""`vigil logs ...`: ingest, follow, search, tail, stats, detect, attach evidence, retention, serve."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from vigil.cli.common import ActorOption, DbOption, console, open_store, require_actor

if TYPE_CHECKING:
    from vigil.logs.search import LogFilter, LogLine
    from vigil.store import Store

app = typer.Typer(help="Centralised logs: ingest, search, detect, attach evidence, retention.",
                  no_args_is_help=True)
Db = DbOption
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Since = Annotated[str | None, typer.Option("--since", help="ISO time or age such as 15m, 2h, 7d.")]
Until = Annotated[str | None, typer.Option("--until", help="ISO time or age (exclusive).")]
Level = Annotated[list[str] | None, typer.Option("--level", help="Exact level; repeat for several.")]
MinLevel = Annotated[str | None, typer.Option("--min-level", help="This level and worse.")]
Service = Annotated[list[str] | None, typer.Option("--service", help="Service name; repeat for several.")]
Release = Annotated[str | None, typer.Option("--release", help="Release label the lines carry.")]
Field = Annotated[list[str] | None, typer.Option("--field", help="key=value on a field; repeatable.")]
Actor = ActorOption


def _store(db: str | None) -> Store:
    return open_store(db)


def _now() -> datetime:
    from vigil.clock import SystemClock

    return SystemClock().now()


def _when(text: str | None, now: datetime) -> datetime | None:
    from vigil.clock import utc
    from vigil.logs.search import FilterError
    from vigil.plan.durations import parse_duration

    if text is None:
        return None
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        raise FilterError(f"--since/--until take an ISO time or an age like 15m, not {text!r}") from None


def _filter(query: str, since: str | None, until: str | None, level: list[str] | None, min_level: str | None,
            service: list[str] | None, release: str | None, field: list[str] | None) -> LogFilter:
    from vigil.logs.query import parse_query
    from vigil.logs.search import LogFilter, fields_from, levels_from

    parse_query(query)  # a bad query fails here with one clear line, before touching the store
    now = _now()
    return LogFilter(text=query, since=_when(since, now), until=_when(until, now),
                     levels=levels_from(min_level, level), services=tuple(service or ()), release=release,
                     fields=fields_from(field))


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def _table(lines: list[LogLine], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for name in ("time (UTC)", "level", "service", "message"):
        table.add_column(name, overflow="fold")
    colours = {"error": "red", "fatal": "bold red", "warn": "yellow", "debug": "dim", "trace": "dim"}
    for line in lines:
        level = f"[{colours[line.level]}]{line.level}[/]" if line.level in colours else line.level
        table.add_row(line.ts.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3], level, line.service, line.message)
    return table


@app.command()
def ingest(paths: Annotated[list[Path], typer.Argument(help="Files to read; '-' reads standard input.")],
           service: Annotated[str | None, typer.Option(help="Service for lines that name none "
                                                            "(default: the file name).")] = None,
           release: Release = None,
           fmt: Annotated[list[str] | None, typer.Option("--format", help="Only these parsers: json, logfmt, "
                                                         "access, rfc5424, rfc3164, layout, text.")] = None,
           follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep reading (one file).")] = False,
           db: Db = None, as_json: Json = False) -> None:
    """Read log lines into the store (files, '-' for stdin; --follow survives rotation and restarts)."""
    from vigil.logs.ingest import IngestResult, Source
    from vigil.logs.service import default_service, ingest_file, ingest_stream

    store = _store(db)
    if follow:
        _follow(store, paths, service, release, fmt)
        return
    total = IngestResult()
    for path in paths:
        name = "stdin" if str(path) == "-" else str(path)
        default = "stdin" if name == "stdin" else default_service(path)
        source = Source(name, service or default, release, fmt)
        if name == "stdin":
            total.add(ingest_stream(store, sys.stdin.buffer, source, now=_now()))
        else:
            total.add(ingest_file(store, path, source, now=_now()))
    if as_json:
        _print_json({"lines": total.lines, "unparsed": total.unparsed, "blank": total.blank,
                     "formats": total.formats})
        return
    console.print(f"stored {total.lines} lines ({total.unparsed} unparsed, kept raw); formats: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(total.formats.items())))


def _follow(store: Store, paths: list[Path], service: str | None, release: str | None,
            fmt: list[str] | None) -> None:
    from vigil.clock import SystemClock
    from vigil.errors import VigilError
    from vigil.logs.follow import Follower
    from vigil.logs.ingest import Source
    from vigil.logs.service import default_service

    if len(paths) != 1 or str(paths[0]) == "-":
        raise VigilError("--follow reads exactly one file (run one follower per file)")
    path = paths[0]
    source = Source(str(path), service or default_service(path), release, fmt)
    follower = Follower(store, path, source, clock=SystemClock(),
                        on_commit=lambda n, _r: console.print(f"committed {n}"))
    try:
        follower.run()
    except KeyboardInterrupt:
        follower.close()


@app.command()
def search(query: Annotated[str, typer.Argument(help='Words, "phrases", AND / OR / NOT, ( ).')] = "",
           since: Since = None, until: Until = None, level: Level = None, min_level: MinLevel = None,
           service: Service = None, release: Release = None, field: Field = None,
           limit: Annotated[int, typer.Option(help="Lines per page.")] = 50,
           page: Annotated[int, typer.Option(help="Page number, 1 = newest.")] = 1,
           total: Annotated[bool, typer.Option("--count", help="Also count all matches.")] = False,
           db: Db = None, as_json: Json = False) -> None:
    """Search stored lines, newest first."""
    from vigil.logs.search import count
    from vigil.logs.search import search as run_search

    flt = _filter(query, since, until, level, min_level, service, release, field)
    store = _store(db)
    with store.read() as session:
        result = run_search(session, flt, limit=limit, offset=(max(page, 1) - 1) * limit)
        matched = count(session, flt) if total else None
    if as_json:
        _print_json({"page": page, "limit": limit, "has_more": result.has_more, "count": matched,
                     "lines": [line.to_json() for line in result.lines]})
        return
    suffix = f" of {matched}" if matched is not None else ""
    more = " (more: --page)" if result.has_more else ""
    console.print(_table(result.lines, f"page {page}{suffix}{more}"))


@app.command()
def tail(n: Annotated[int, typer.Option("-n", help="How many lines.")] = 20, service: Service = None,
         level: Level = None, min_level: MinLevel = None,
         follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
         db: Db = None, as_json: Json = False) -> None:
    """The newest stored lines (oldest of them first), optionally following new arrivals."""
    from vigil.clock import SystemClock
    from vigil.logs.search import arrived_after
    from vigil.logs.search import search as run_search

    flt = _filter("", None, None, level, min_level, service, None, None)
    store = _store(db)
    with store.read() as session:
        lines = list(reversed(run_search(session, flt, limit=n).lines))
    _emit(lines, as_json)
    last = max((line.id for line in lines), default=0)
    clock = SystemClock()
    while follow:
        clock.sleep_until(clock.now() + timedelta(milliseconds=500))
        with store.read() as session:
            fresh = arrived_after(session, flt, last)
        _emit(fresh, as_json)
        last = fresh[-1].id if fresh else last


def _emit(lines: list[LogLine], as_json: bool) -> None:
    if as_json:
        for line in lines:
            sys.stdout.write(json.dumps(line.to_json(), default=str) + "\n")
    else:
        for line in lines:
            console.print(f"{line.ts:%Y-%m-%d %H:%M:%S} {line.level:5} {line.service}: {line.message}",
                          highlight=False, markup=False)


@app.command()
def stats(query: Annotated[str, typer.Argument()] = "", since: Since = None, until: Until = None,
          service: Service = None, release: Release = None, db: Db = None, as_json: Json = False) -> None:
    """Lines per level per minute (for charts)."""
    from vigil.logs.models import LEVELS
    from vigil.logs.search import per_minute

    flt = _filter(query, since, until, None, None, service, release, None)
    with _store(db).read() as session:
        rows = per_minute(session, flt)
    grid: dict[datetime, dict[str, int]] = {}
    for row in rows:
        grid.setdefault(row.minute, {})[row.level or "none"] = row.count
    if as_json:
        _print_json([{"minute": m.isoformat(), **counts} for m, counts in sorted(grid.items())])
        return
    table = Table(title="lines per minute")
    table.add_column("minute (UTC)")
    columns = [lv for lv in (*LEVELS, "none") if any(lv in c for c in grid.values())]
    for lv in columns:
        table.add_column(lv, justify="right")
    for minute, counts in sorted(grid.items()):
        table.add_row(f"{minute:%Y-%m-%d %H:%M}", *(str(counts.get(lv, 0)) for lv in columns))
    console.print(table)


@app.command()
def detect(release: Annotated[str, typer.Argument(help="Release slug or number.")],
           threshold: Annotated[int, typer.Option(help="Errors per minute that are too many.")] = 10,
           window: Annotated[str, typer.Option(help="How far back the error rate looks.")] = "15m",
           baseline: Annotated[str, typer.Option(help="Logs before the release that count as known.")] = "7d",
           at: Annotated[str | None, typer.Option(help="Evaluate as of this ISO time (default: now).")] = None,
           db: Db = None, as_json: Json = False) -> None:
    """Log signals for a release: error rate over threshold, error templates new since the release."""
    from dataclasses import asdict

    from vigil.logs.service import detect as run_detect
    from vigil.plan.durations import parse_duration

    now = _now()
    signals = run_detect(_store(db), release, now=_when(at, now) or now, threshold_per_minute=threshold,
                         window=parse_duration(window), baseline=parse_duration(baseline))
    if as_json:
        _print_json([asdict(s) for s in signals])
        return
    table = Table(title=f"log signals for {release}")
    for name in ("rule", "severity", "first seen (UTC)", "count", "summary"):
        table.add_column(name, overflow="fold")
    for s in signals:
        table.add_row(s.rule, s.severity, f"{s.first_seen:%Y-%m-%d %H:%M:%S}", str(s.count), s.summary)
    console.print(table if signals else "no log signals")


@app.command()
def attach(query: Annotated[str, typer.Option("--query", help="The search to freeze.")],
           actor: Actor = None, release: Annotated[str | None, typer.Option(help="Release slug or number.")] = None,
           incident: Annotated[str | None, typer.Option(help="Incident reference.")] = None,
           since: Since = None, until: Until = None, level: Level = None, min_level: MinLevel = None,
           service: Service = None, field: Field = None, db: Db = None, as_json: Json = False) -> None:
    """Freeze a search and its matching lines as evidence (later ingest does not change it)."""
    from vigil.logs.forensics import attach as run_attach

    flt = _filter(query, since, until, level, min_level, service, None, field)
    excerpt = run_attach(_store(db), flt, now=_now(), actor=require_actor(actor), release=release,
                         incident_ref=incident)
    out = {"id": excerpt.id, "matched": excerpt.matched_count, "stored": len(excerpt.lines),
           "sha256": excerpt.sha256, "incident_ref": excerpt.incident_ref}
    if as_json:
        _print_json(out)
    else:
        console.print(f"excerpt #{excerpt.id}: {out['stored']} of {out['matched']} lines frozen, "
                      f"sha256 {excerpt.sha256[:16]}…")


@app.command()
def excerpt(excerpt_id: int, db: Db = None, as_json: Json = False) -> None:
    """Show a frozen excerpt and whether its content still matches its hash."""
    from vigil.logs.forensics import get_excerpt, verify

    ex = get_excerpt(_store(db), excerpt_id)
    if as_json:
        _print_json({"id": ex.id, "query": ex.query, "filters": ex.filters, "matched": ex.matched_count,
                     "sha256": ex.sha256, "intact": verify(ex), "created_at": ex.created_at.isoformat(),
                     "created_by": ex.created_by, "incident_ref": ex.incident_ref, "lines": ex.lines})
        return
    state = "intact" if verify(ex) else "ALTERED"
    console.print(f"excerpt #{ex.id} query {ex.query!r} by {ex.created_by} "
                  f"at {ex.created_at:%Y-%m-%d %H:%M:%S} — {state}")
    for line in ex.lines:
        console.print(line["raw"], highlight=False, markup=False)


retention = typer.Typer(help="Keep log records for a number of days, per service.", no_args_is_help=True)
app.add_typer(retention, name="retention")


@retention.command("set")
def retention_set(service: Annotated[str, typer.Argument(help="Service, or '*' for all others.")],
                  days: int, actor: Actor = None, db: Db = None) -> None:
    from vigil.logs.retention import set_rule

    set_rule(_store(db), service, days, now=_now(), actor=require_actor(actor))
    console.print(f"logs of {service} are kept for {days} days")


@retention.command("list")
def retention_list(db: Db = None, as_json: Json = False) -> None:
    from vigil.logs.retention import rules

    found = rules(_store(db))
    if as_json:
        _print_json([{"service": r.service, "days": r.max_age_days} for r in found])
        return
    for r in found:
        console.print(f"{r.service}: {r.max_age_days} days")


@retention.command("apply")
def retention_apply(actor: Actor = None, db: Db = None, as_json: Json = False) -> None:
    from vigil.logs.retention import apply

    purged = apply(_store(db), now=_now(), actor=require_actor(actor))
    if as_json:
        _print_json([{"service": p.service, "cutoff": p.cutoff.isoformat(), "deleted": p.deleted}
                     for p in purged])
        return
    for p in purged:
        console.print(f"{p.service}: deleted {p.deleted} lines older than {p.cutoff:%Y-%m-%d %H:%M}")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8425, db: Db = None) -> None:
    """Accept JSON lines over HTTP at POST /logs/ingest."""
    import uvicorn

    from vigil.clock import SystemClock
    from vigil.logs.http import make_app

    uvicorn.run(make_app(_store(db), SystemClock()), host=host, port=port, log_level="warning")
