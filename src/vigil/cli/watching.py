"""`vigil watch`, `vigil checkpoint`, `vigil status`, `vigil rollback`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from vigil.cli.common import ActorOption, DbOption, console, open_store, parse_time, require_actor

if TYPE_CHECKING:
    from vigil.clock import Clock
    from vigil.store import Store


def watch(releases: Annotated[list[str] | None, typer.Argument(help="Releases to watch (default: all active).")]
          = None,
          speed: Annotated[float | None, typer.Option(help="Run the clock this many times faster.")] = None,
          simulate: Annotated[bool, typer.Option(help="Jump straight to each due time (replays fast).")]
          = False,
          forever: Annotated[bool, typer.Option(help="Keep running and pick up new releases.")] = False,
          anchor: Annotated[datetime | None, typer.Option(
              help="With --speed: the wall-clock moment the sped-up clock read the earliest T+0, so "
                   "restarted watchers agree on the time and it runs on while they are down (ISO).",
              parser=parse_time)] = None,
          db: DbOption = None) -> None:
    """Evaluate each checkpoint when it falls due; resumable after any stop."""
    from vigil.flows.watch_loop import watch as run

    store = open_store(db)
    clock = _clock(store, releases, speed, simulate, anchor)

    def report(release: object, outcome: object) -> None:
        from vigil.watch import Outcome

        assert isinstance(outcome, Outcome)
        verdict = f"{outcome.health} → {outcome.go_no_go}" if outcome.health else "skipped (rolled back)"
        console.print(f"{getattr(release, 'slug', '?')} {outcome.name}: {verdict}"
                      + ("" if outcome.created else " (already stored)"))

    def failed(release_id: int, problem: str) -> None:
        console.print(f"[red]release #{release_id}: watching failed: {problem}[/] (recorded in its audit "
                      "trail; the other releases go on)", highlight=False)

    run(store, clock, releases or None, until_done=not forever, on_checkpoint=report, on_failure=failed)


def checkpoint(release: str, name: Annotated[str, typer.Argument(help="e.g. T+1h")], db: DbOption = None) -> None:
    """Evaluate one checkpoint now (a stored checkpoint is shown, never evaluated twice), and carry out what
    it makes due (rollback, smoke checks, alerts, notifications) as the watch would."""
    from vigil.clock import SystemClock
    from vigil.flows.checkpoint_round import checkpoint_now

    store = open_store(db)
    outcome = checkpoint_now(store, SystemClock(), release, name)
    state = "evaluated" if outcome.created else "already stored"
    console.print(f"{outcome.name} {state}: health {outcome.health}, decision {outcome.go_no_go}")
    status(release, db)


def status(release: str, db: DbOption = None) -> None:
    """The release's checkpoints, health and decisions as a table."""
    from rich.table import Table
    from sqlalchemy import select

    from vigil.releases.service import get_release, plan_of
    from vigil.reports.formatting import HEALTH_ICON, Clockface
    from vigil.watch import pending_checkpoints
    from vigil.watch.models import Checkpoint, RollbackEvent

    store = open_store(db)
    with store.read() as session:
        r = get_release(session, release)
        face = Clockface(r.timezone)
        console.print(f"[bold]{r.name}[/] — {r.slug}, {r.deployment_method}, status [bold]{r.status}[/]")
        table = Table("Checkpoint", "Due", "Traffic", "Health", "Decision", "Why")
        for c in session.scalars(select(Checkpoint).where(Checkpoint.release_id == r.id)
                                 .order_by(Checkpoint.offset_seconds)):
            d = c.decision
            table.add_row(c.name, face.hm(c.due_at), f"{c.traffic_percent:g}%",
                          f"{HEALTH_ICON[d.health]} {d.health}" if d else "—", d.go_no_go if d else c.state,
                          (d.reasons[0] if d else c.note)[:90])
        for p in pending_checkpoints(store, r.id):
            table.add_row(p.name, face.hm(p.due_at), f"{plan_of(r).traffic_percent(p.due_at - r.started_at):g}%",
                          "pending", "", "")
        console.print(table)
        event = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == r.id))
        if event is not None:
            console.print(f"Rollback at {event.checkpoint.name}: {event.state} ({event.method}); {event.reason}")


def rollback(release: str, actor: ActorOption = None, db: DbOption = None) -> None:
    """Carry out a rollback the plan left to a person (manual method). Release Owner only."""
    from vigil.clock import SystemClock
    from vigil.watch.rollback import execute_rollback, manual_rollback_for

    store, clock, who = open_store(db), SystemClock(), require_actor(actor)
    event_id = manual_rollback_for(store, release, who, clock.now())
    event = execute_rollback(store, event_id, clock, actor=who)
    then = " (the watch verifies the service after the plan's delay)" if event.state == "completed" else ""
    console.print(f"Rollback {event.state}: {event.verification or event.output}{then}")


def settle(release: str,
           outcome: Annotated[str, typer.Option(help="How the interrupted rollback ended: completed or failed.")],
           note: Annotated[str, typer.Option(help="What was checked by hand (kept in the audit trail).")],
           actor: ActorOption = None, db: DbOption = None) -> None:
    """Settle a rollback whose worker died inside its action (state interrupted). Release Owner only."""
    from vigil.clock import SystemClock
    from vigil.watch.rollback_settle import settle_rollback

    store, who = open_store(db), require_actor(actor)
    event = settle_rollback(store, release, outcome, note, actor=who, now=SystemClock().now())
    console.print(f"Rollback settled as {event.state} by {who}.")


def _clock(store: Store, releases: list[str] | None, speed: float | None, simulate: bool,
           anchor: datetime | None) -> Clock:
    from vigil.clock import ManualClock, ScaledClock, SystemClock
    from vigil.watch.resume import chosen_releases, refuse_live_sources, resume_point, simulated_origin

    if not (speed or simulate):
        return SystemClock()
    chosen = chosen_releases(store, releases)
    refuse_live_sources(chosen, "--simulate" if simulate else "--speed")
    if anchor is not None:
        return ScaledClock(simulated_origin(chosen), speed or 1.0, wall_anchor=anchor)
    start = resume_point(store, chosen)
    return ManualClock(start) if simulate else ScaledClock(start, speed or 1.0)


def _rollback_app() -> typer.Typer:
    from vigil.cli.defaultgroup import default_group

    app = default_group("run", help="Carry out a manual rollback (`vigil rollback R`), or settle an interrupted "
                                    "one (`vigil rollback settle R --outcome … --note …`).")
    app.command("run")(rollback)
    app.command("settle")(settle)
    return app


rollback_app = _rollback_app()
