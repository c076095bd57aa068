"""Load a monitoring plan from YAML, turning every problem into one ``PlanError`` with file:line:field.

ruamel.yaml's round-trip loader keeps the line of every key and item, so a pydantic error location such
as ``("metrics", 2, "thresholds", "max")`` can be walked back to the line a person has to fix.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from vigil.errors import PlanError
from vigil.plan import kayenta_config
from vigil.plan.schema import Plan

M = TypeVar("M", bound=BaseModel)


def load_plan(path: str | Path) -> tuple[Plan, str]:
    """Read and validate the plan at ``path``; return it with its source text (kept as a snapshot)."""
    text = read_plan_text(path)
    plan, data, raw = _parse(text, str(path))
    if raw is not None:  # the Kayenta config named by path goes into the snapshot as it was read
        text = kayenta_config.inline_snapshot(text, data, raw, str(plan.kayenta_config))
    return plan, text


def read_plan_text(path: str | Path) -> str:
    """The text of the plan file at ``path``; an unreadable or non-UTF-8 file is a ``PlanError``."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(str(path), None, "file", exc.strerror or str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise PlanError(str(path), None, "file", f"not UTF-8 text (byte {exc.start} cannot be read)") from None


def plan_errors(text: str, name: str = "<plan>") -> list[PlanError]:
    """Every problem of the plan, each with its line (empty when it is valid); ``parse_plan`` raises the first."""
    try:
        parse_plan(text, name)
    except PlanError as first:
        try:
            data = parse_yaml(text, name)
        except PlanError:
            return [first]  # a YAML syntax error: nothing after it can be read
        if not isinstance(data, CommentedMap):
            return [first]
        try:
            Plan.model_validate(_plain(data))
        except ValidationError as exc:
            return _located(exc.errors(), data, name, "plan")
        return [first]
    return []


def parse_plan(text: str, name: str = "<plan>") -> Plan:
    return _parse(text, name)[0]


def _parse(text: str, name: str) -> tuple[Plan, Any, Any]:
    """The plan, its YAML tree, and the Kayenta config JSON when ``kayenta_config`` named a file."""
    data = parse_yaml(text, name)
    if not isinstance(data, CommentedMap):
        raise PlanError(name, 1, "plan", "must be a mapping with 'release' and 'people' sections")
    plan = validate_yaml(Plan, data, name, "plan")
    raw = kayenta_config.attach(plan, data, name) if plan.judge == "kayenta" else None
    return plan, data, raw


def parse_yaml(text: str, name: str) -> Any:
    """Round-trip YAML (every node keeps its line); a syntax error is a ``PlanError`` with its line."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise PlanError(name, line, "yaml", (exc.problem or str(exc)).strip()) from None
    except ReaderError as exc:  # a control character or other byte YAML does not allow in text
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise PlanError(name, line, "yaml", f"character U+{code:04X} is not allowed in YAML text") from None
    except RecursionError:
        raise PlanError(name, None, "yaml", "nested too deeply to be a plan") from None
    except (YAMLError, ValueError, TypeError, IndexError, OverflowError) as exc:
        # ruamel.yaml lets a scalar it cannot construct escape as a plain Python error (``!!int x``,
        # ``2026-02-30``, ``0x_``): find the node it came from for the line.
        raise PlanError(name, _unconstructible_line(text), "yaml", f"a value cannot be read: {exc}") from None


def _unconstructible_line(text: str) -> int | None:
    """The 1-based line of the first scalar ruamel.yaml cannot turn into a value (None if none fails)."""
    yaml = YAML(typ="rt")
    try:
        root = yaml.compose(text)
    except Exception:  # the whole document failed already; only the line is wanted here
        return None
    pending: list[Node] = [root] if root is not None else []
    while pending:
        node = pending.pop()  # depth first, in document order
        if isinstance(node, ScalarNode):
            try:
                yaml.constructor.construct_object(node, deep=True)
            except Exception:
                return int(node.start_mark.line) + 1
        elif isinstance(node, SequenceNode):
            pending.extend(reversed(node.value))
        elif isinstance(node, MappingNode):
            pending.extend(reversed([part for pair in node.value for part in pair]))
    return None


def validate_yaml(model: type[M], data: Any, name: str, what: str) -> M:
    """``data`` from ``parse_yaml`` as a ``model``; the first problem becomes file:line: field.

    Used for plans and for every other document a person writes (RCAs, DORA facts), so all of them report
    problems the same way. ``what`` names the whole document when the problem has no field.
    """
    try:
        return model.model_validate(_plain(data) if data is not None else {})
    except ValidationError as exc:
        raise _located(exc.errors(), data, name, what)[0] from None


def _located(errors: list[Any], data: Any, name: str, what: str) -> list[PlanError]:
    """Validation errors as ``PlanError``s with lines, misspelt keys first.

    A misspelt key also makes the real key "missing"; the typo is the thing to report, so a "missing" error
    that a misspelling next to it explains is left out.
    """
    explained = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            close = _closest_missing(error, errors)
            if close is not None:
                explained.add((*error["loc"][:-1], close))
    ordered = sorted(errors, key=lambda e: e["type"] != "extra_forbidden")  # stable: otherwise in order
    found = []
    for error in ordered:
        loc = tuple(error["loc"])
        if error["type"] == "missing" and loc in explained:
            continue
        field = ".".join(str(p) for p in loc) or what
        found.append(PlanError(name, line_of(data, loc), field, _message(error, errors)))
    return found


def _plain(node: Any) -> Any:
    """Round-trip containers to plain dicts/lists so validators see ordinary Python values."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def line_of(root: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest part of ``loc`` that exists in the YAML."""
    node, line = root, 1
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedMap | CommentedSeq):
            # The field is missing or the location is synthetic: point at the enclosing block.
            break
    return line


def _closest_missing(error: Any, errors: list[Any]) -> str | None:
    """For an unknown key: the missing key beside it that it is probably a misspelling of."""
    parent = tuple(error["loc"][:-1])
    missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and tuple(e["loc"][:-1]) == parent]
    close = difflib.get_close_matches(str(error["loc"][-1]), missing, n=1)
    return close[0] if close else None


def _message(error: Any, errors: list[Any]) -> str:
    msg = str(error["msg"])
    if error["type"] == "extra_forbidden":
        close = _closest_missing(error, errors)
        return f"unknown field (did you mean '{close}'?)" if close else "unknown field (check the spelling)"
    if error["type"] == "missing":
        return "is required"
    return msg.removeprefix("Value error, ")
