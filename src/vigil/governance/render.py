"""One Jinja environment for the governance documents (retrospective, handover, closure, lessons)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from vigil.reports.formatting import Clockface, checkboxes


def render(template: str, **context: Any) -> str:
    context.setdefault("version", None)  # the sealed version being written; None for a preview
    release = context.get("release")
    if release is not None:
        context.setdefault("clock", Clockface(release.timezone))
    return _env().get_template(f"governance/{template}").render(**context)


_ENV: Environment | None = None


def _env() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = Environment(
            loader=PackageLoader("vigil.reports", "templates"),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        _ENV.globals.update(checkboxes=checkboxes)
    return _ENV
