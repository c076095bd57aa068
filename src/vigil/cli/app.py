"""The `vigil` command: one entry point; each domain contributes its commands.

Command modules import their domain code inside the command bodies, so `vigil --help` stays fast and
never loads scipy or the web stack.
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated

import typer

from vigil.cli import (
    actions,
    alerts,
    closure,
    demo,
    evidence,
    handover,
    incidents,
    lessons,
    logs,
    release,
    replay,
    reporting,
    retro,
    slo,
    smoke,
    trace,
    watching,
    web,
)
from vigil.cli.common import err_console

root = typer.Typer(name="vigil", help="Watches a release after deployment, decides, records, reports.",
                   no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
root.add_typer(release.app, name="release")
root.add_typer(alerts.app, name="alert")
root.add_typer(alerts.comms, name="comms")
root.add_typer(incidents.app, name="incident")
root.command()(watching.watch)
root.command()(watching.checkpoint)
root.command()(watching.status)
root.command()(watching.rollback)
root.command()(reporting.report)
root.command()(reporting.verify)
root.command()(demo.demo)
root.add_typer(smoke.app, name="smoke")
root.add_typer(retro.app, name="retro")
root.add_typer(actions.app, name="action")
root.add_typer(handover.app, name="handover")
root.add_typer(closure.app, name="closure")
root.add_typer(lessons.app, name="lessons")
root.add_typer(evidence.app, name="evidence")
root.command()(trace.trace)
root.command()(trace.gate)
root.command()(replay.replay)
root.command()(web.serve)
root.add_typer(web.user_app, name="user")
root.add_typer(web.dashboard_app, name="dashboard")
root.add_typer(logs.app, name="logs")
root.add_typer(slo.app, name="slo")

_debug = False


@root.callback()
def _options(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    global _debug
    _debug = debug


def main(argv: list[str] | None = None) -> None:
    """Run the command line; ``argv`` (without the program name) defaults to ``sys.argv[1:]``.

    Typer runs in standalone mode: it shows its own usage errors (usage line, exit 2), help and exits, with
    whichever copy of click it ships (typer 0.29 vendors one, so checking ``click``'s exception classes here
    would never match). Everything else it lets through, and is sorted here.
    """
    from vigil.errors import VigilError

    try:
        root(args=argv, prog_name="vigil")
    except VigilError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        _maybe_traceback()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so, briefly, and keep the traceback for --debug
        err_console.print(f"[red]internal error:[/] {type(exc).__name__}: {exc} (run with --debug for details)",
                          highlight=False, soft_wrap=True)
        _maybe_traceback()
        sys.exit(70)


def _maybe_traceback() -> None:
    if _debug or "--debug" in sys.argv:
        traceback.print_exc()
