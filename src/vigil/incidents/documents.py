"""Reading a person's YAML document (an RCA, DORA facts) into a strict model, errors as file:line: field.

Reuses the plan loader's YAML walking so every document vigil reads reports problems the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from vigil.errors import VigilError
from vigil.plan.loader import parse_yaml, validate_yaml

M = TypeVar("M", bound=BaseModel)


def load_model(path: str | Path, model: type[M]) -> M:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VigilError(f"{path}: {exc.strerror or exc}") from None
    return validate_yaml(model, parse_yaml(text, str(path)), str(path), "document")
