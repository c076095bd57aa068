"""The plan reference (docs/plan.md), generated from the schema so it cannot drift from it.

Every field of ``Plan`` and of the sections below it, with its type, default and description as the
pydantic models declare them, and an example value taken from the plans shipped in vigil/examples (the
values a working plan really uses), or the field's own ``examples``.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from vigil.plan.durations import format_offset
from vigil.plan.loader import _plain, parse_yaml
from vigil.plan.schema import Plan

HEADER = """# Plan reference

Every field of a monitoring plan (YAML), generated from the schema in `src/vigil/plan/` by
`vigil plan docs --out docs/plan.md`; a test fails when this file and the schema disagree. Check a plan
without registering it with `vigil plan check FILE`.

Unknown keys are refused (a typo is an error with its file and line). Durations are written `90s`,
`15m`, `1h30m`, `T+4h` or a number of seconds. Examples are the values the plans shipped in
`src/vigil/examples/` use ({examples}), or the field's own example.
"""


@dataclass(frozen=True)
class Section:
    path: str  # e.g. "metrics[].thresholds"; "" for the top level
    model: type[BaseModel]


def plan_reference() -> str:
    """The whole reference as Markdown."""
    examples = _examples()
    sections = _sections(Plan, "", {})
    home = {section.model: section.path for section in sections}
    out = [HEADER.format(examples=", ".join(f"`{name}`" for name in EXAMPLE_FILES))]
    for section in sections:
        out.append(f"\n## {_title(section)}\n")
        doc = _model_doc(section.model)
        if doc:
            out.append(f"{doc}\n")
        out.append("| Field | Type | Default | Example | Description |")
        out.append("| --- | --- | --- | --- | --- |")
        for name, field in section.model.model_fields.items():
            key = field.alias or name
            path = f"{section.path}.{key}" if section.path else key
            out.append(" | ".join([
                f"| `{key}`", _cell(_type(field.annotation, home)), _cell(_default(field)),
                _cell(_example(examples, path, field)), _cell(field.description or "") + " |",
            ]))
    return "\n".join(out) + "\n"


EXAMPLE_FILES = ("checkout-leak.yaml", "replay/plan.yaml")  # under vigil/examples, looked up in this order
EXAMPLE_WIDTH = 70  # characters of an example shown; a long PromQL query is cut


def _examples() -> list[Any]:
    folder = resources.files("vigil") / "examples"
    return [_plain(parse_yaml(folder.joinpath(*name.split("/")).read_text(encoding="utf-8"), name))
            for name in EXAMPLE_FILES]


def _sections(model: type[BaseModel], path: str, seen: dict[type[BaseModel], str]) -> list[Section]:
    """The model at ``path``, then every model under it (depth first, in field order), each model once: at
    the first path it appears (a person, say, is described under people.release_owner only)."""
    seen[model] = path
    found = [Section(path, model)]
    for name, field in model.model_fields.items():
        key = field.alias or name
        for child, many in _models_in(field.annotation):
            if child not in seen:
                found += _sections(child, f"{path + '.' if path else ''}{key}{'[]' if many else ''}", seen)
    return found


def _models_in(annotation: Any, many: bool = False) -> Iterator[tuple[type[BaseModel], bool]]:
    """Models an annotation holds, and whether as items of a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, many
        return
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        yield from _models_in(arg, many or origin is list)


def _title(section: Section) -> str:
    return "Top level" if not section.path else f"`{section.path}`"


def _model_doc(model: type[BaseModel]) -> str:
    doc = model.__doc__ or ""
    if doc.startswith(BaseModel.__doc__ or "\0") or not doc.strip():
        return ""
    return " ".join(line.strip() for line in doc.strip().splitlines() if line.strip())


_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", timedelta: "duration",
          datetime: "date-time (ISO 8601 with offset)", type(None): "null", Any: "any"}


def _type(annotation: Any, home: dict[type[BaseModel], str]) -> str:
    """A field's type in words; a section names the path where its fields are described."""
    if annotation in _NAMES:
        return _NAMES[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"section `{home[annotation]}`"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0], home)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0], home)}"
    if origin is dict:
        return f"mapping of {_type(args[0], home)} to {_type(args[1], home)}"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a, home) for a in args)
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        return _value(field.default_factory())  # type: ignore[call-arg]
    if field.default is PydanticUndefined:
        return "required"
    if isinstance(field.default, BaseModel):
        return "its section's defaults"
    return _value(field.default)


def _example(examples: list[Any], path: str, field: FieldInfo) -> str:
    for plan in examples:
        found = _lookup(plan, path.split("."))
        # Sections and lists of sections have their own tables, with an example per field.
        if found is not _MISSING and not isinstance(found, dict) and not any(
                isinstance(v, dict) for v in (found if isinstance(found, list) else [])):
            return _value(found, EXAMPLE_WIDTH)
    if field.examples:
        return _value(field.examples[0], EXAMPLE_WIDTH)
    return ""


_MISSING = object()


def _lookup(node: Any, parts: list[str]) -> Any:
    """The value at ``parts`` of the example plan; ``name[]`` looks in the first item that has the rest."""
    if not parts:
        return node
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    key = head.removesuffix("[]")
    if not isinstance(node, dict) or key not in node:
        return _MISSING
    value = node[key]
    if not many:
        return _lookup(value, rest)
    for item in value if isinstance(value, list) else []:
        found = _lookup(item, rest)
        if found is not _MISSING:
            return found
    return _MISSING


def _value(value: Any, width: int | None = None) -> str:
    text = _text(value)
    return f"`{text[:width]}`…" if width is not None and len(text) > width else f"`{text}`"


def _text(value: Any) -> str:
    if isinstance(value, timedelta):
        return format_offset(value).removeprefix("T+")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        fields = value.model_dump(exclude_defaults=True)
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in fields.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return value if value and value.strip() == value and value[0] not in "[{`'\"" else json.dumps(value)
    return json.dumps(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
