"""A command group with a default subcommand: ``vigil smoke RELEASE`` runs, ``vigil smoke import …`` imports.

The issue's command lines mix both forms, so an argument that is not a subcommand name is taken to be
the default subcommand's first argument.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup


class DefaultGroup(TyperGroup):
    default_command = "run"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in {"--help", "-h"}:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def default_group(default: str, **kwargs: Any) -> typer.Typer:
    cls = type(f"DefaultGroup_{default}", (DefaultGroup,), {"default_command": default})
    return typer.Typer(cls=cls, no_args_is_help=True, **kwargs)
