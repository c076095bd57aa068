"""Reading a person's YAML document (an RCA, DORA facts) into a strict model, errors as file:line: field.

Reuses the plan loader's YAML walking so every document vigil reads reports problems the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from vigil.errors import PlanError, VigilError

M = TypeVar("M", bound=BaseModel)


def load_model(path: str | Path, model: type[M]) -> M:
    from vigil.plan.loader import _line_of, _message, _parse_yaml, _plain

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VigilError(f"{path}: {exc.strerror or exc}") from None
    data = _parse_yaml(text, str(path))
    try:
        return model.model_validate(_plain(data) if data is not None else {})
    except ValidationError as exc:
        errors = exc.errors()
        first = min(errors, key=lambda e: e["type"] != "extra_forbidden")
        loc = tuple(first["loc"])
        field = ".".join(map(str, loc)) or "document"
        raise PlanError(str(path), _line_of(data, loc), field, _message(first, errors)) from None
