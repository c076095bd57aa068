"""The `vigil` command: one entry point; each domain contributes its commands.

A command's module is imported only when that command runs (or when help lists it), so `vigil release
list` pays for nothing but itself. Command modules in turn import their domain code inside the command
bodies, so `vigil --help` stays fast and never loads scipy or the web stack.

To add a command: define it in a module under vigil.cli (a function, or a ``typer.Typer`` sub-app) and give
its name and ``module:attribute`` a line in ``COMMANDS`` below.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator, Mapping, MutableMapping
from importlib import import_module
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from vigil.cli.common import err_console

# name → "module:attribute" (a command function or a Typer sub-app), in the order help lists them.
COMMANDS: dict[str, str] = {
    "release": "vigil.cli.release:app",
    "alert": "vigil.cli.alerts:app",
    "comms": "vigil.cli.alerts:comms",
    "incident": "vigil.cli.incidents:app",
    "watch": "vigil.cli.watching:watch",
    "checkpoint": "vigil.cli.watching:checkpoint",
    "status": "vigil.cli.watching:status",
    "rollback": "vigil.cli.watching:rollback_app",
    "report": "vigil.cli.reporting:report",
    "verify": "vigil.cli.reporting:verify",
    "demo": "vigil.cli.demo:demo",
    "smoke": "vigil.cli.smoke:app",
    "retro": "vigil.cli.retro:app",
    "action": "vigil.cli.actions:app",
    "handover": "vigil.cli.handover:app",
    "closure": "vigil.cli.closure:app",
    "lessons": "vigil.cli.lessons:app",
    "evidence": "vigil.cli.evidence:app",
    "trace": "vigil.cli.trace:trace",
    "gate": "vigil.cli.trace:gate",
    "replay": "vigil.cli.replay:replay",
    "serve": "vigil.cli.web:serve",
    "user": "vigil.cli.web:user_app",
    "dashboard": "vigil.cli.web:dashboard_app",
    "logs": "vigil.cli.logs:app",
    "plan": "vigil.cli.plan:app",
    "slo": "vigil.cli.slo:app",
}


def build_command(name: str, target: str) -> Any:
    """The click command for one entry of ``COMMANDS``, imported and built on first use."""
    module, attribute = target.split(":")
    defined = getattr(import_module(module), attribute)
    command: Any
    if isinstance(defined, typer.Typer):
        command = typer.main.get_group(defined)
    else:
        single = typer.Typer()
        single.command(name)(defined)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyCommands(MutableMapping[str, Any]):
    """The root group's commands: every name known at once, each built when first looked up."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = dict(table)
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = build_command(name, self._table[name])  # KeyError for unknown names
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._table.setdefault(name, "")
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._table[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


class LazyGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        registered = dict(self.commands)  # any added the eager way (root.command(), root.add_typer()) stay
        self.commands = _LazyCommands(COMMANDS)
        self.commands.update(registered)


root = typer.Typer(name="vigil", help="Watches a release after deployment, decides, records, reports.",
                   cls=LazyGroup, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)

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
