"""`vigil plan check` and the plan reference: every problem of any broken plan is reported as
FILE:LINE: field: message with the line that is wrong, nothing is registered, and docs/plan.md is exactly
what the schema generates."""

from __future__ import annotations

import io
import os
import re
import typing
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from vigil.cli.app import main
from vigil.errors import PlanError
from vigil.plan import parse_plan
from vigil.plan.loader import plan_errors
from vigil.plan.reference import plan_reference
from vigil.plan.schema import Plan

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "src" / "vigil" / "examples" / "checkout-leak.yaml"
PLAN_LINES = """\
release:
  name: Search v5
  service: search
  version: "5.0"
  date: 2026-11-24T09:00:00+01:00
  deployment_method: rolling
people:
  release_owner:
    name: A
  monitoring_owner:
    name: B
evaluation_window: 5m
""".splitlines()
LEAVES = [i for i, line in enumerate(PLAN_LINES) if line.startswith(" ") and ": " in line] + [11]
ERROR_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+): (?P<field>[\w.]+): (?P<message>.+)$")


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue()


def test_the_committed_reference_is_what_the_schema_generates() -> None:
    committed = (REPO / "docs" / "plan.md").read_text(encoding="utf-8")
    assert committed == plan_reference(), "docs/plan.md is stale: run `vigil plan docs --out docs/plan.md`"


def _fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> list[tuple[str, str, str | None]]:
    seen.add(model)
    found = []
    for name, field in model.model_fields.items():
        found.append((model.__name__, field.alias or name, field.description))
        for arg in [field.annotation, *typing.get_args(field.annotation)]:
            for inner in [arg, *typing.get_args(arg)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in seen:
                    found += _fields(inner, seen)
    return found


def test_every_plan_field_is_described_in_the_schema_and_the_reference() -> None:
    fields = _fields(Plan, set())
    assert len(fields) > 150
    assert [(m, f) for m, f, description in fields if not description] == []
    reference = plan_reference()
    for _model, name, description in fields:
        assert f"| `{name}` |" in reference
        assert (description or "").replace("|", "\\|") in reference


def test_a_valid_plan_checks_clean_and_registers_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VIGIL_DB", raising=False)
    code, out = run("plan", "check", str(EXAMPLE))
    assert code == 0, out
    assert out.strip().endswith(f"{EXAMPLE}: valid")
    assert list(tmp_path.iterdir()) == []  # no store was created


@st.composite
def broken_plan(draw: st.DrawFn) -> tuple[str, set[int]]:
    """The small plan with some leaf lines broken (a misspelt key or a value of a wrong type), and the
    1-based numbers of the broken lines."""
    broken = draw(st.sets(st.sampled_from(LEAVES), min_size=1, max_size=4))
    lines = list(PLAN_LINES)
    for i in broken:
        indent, rest = re.match(r"^(\s*)(.*)$", lines[i]).groups()  # type: ignore[union-attr]
        key, value = rest.split(": ", 1)
        if draw(st.booleans()):
            at = draw(st.integers(0, len(key)))
            key = key[:at] + draw(st.sampled_from("qxz")) + key[at:]
        else:  # wrong for every leaf of this plan
            value = draw(st.sampled_from(["[1, 2]", "{a: 1}", "null", "[]"]))
        lines[i] = f"{indent}{key}: {value}"
    return "\n".join(lines) + "\n", {i + 1 for i in broken}


@settings(max_examples=40, deadline=None)
@given(broken_plan())
def test_every_broken_line_is_reported_with_its_file_and_line(case: tuple[str, set[int]]) -> None:
    text, broken_lines = case
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    path = folder / f"vigil-check-{os.getpid()}.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        code, out = run("plan", "check", str(path))
    finally:
        path.unlink()
    assert code == 1, out
    problems = out.strip().splitlines()
    assert problems[-1] == f"{path}: {len(problems) - 1} error(s); nothing registered"
    located = [ERROR_LINE.match(line) for line in problems[:-1]]
    assert all(m is not None and m["file"] == str(path) for m in located), problems
    assert broken_lines <= {int(m["line"]) for m in located if m is not None}, (text, problems)


@settings(max_examples=40, deadline=None)
@given(broken_plan())
def test_plan_errors_agrees_with_the_loader(case: tuple[str, set[int]]) -> None:
    """release create (parse_plan) and plan check (plan_errors) judge a plan alike: same first problem."""
    text, _ = case
    errors = plan_errors(text, "p.yaml")
    with pytest.raises(PlanError) as raised:
        parse_plan(text, "p.yaml")
    assert errors and str(errors[0]) == str(raised.value)
    assert plan_errors("\n".join(PLAN_LINES) + "\n", "p.yaml") == []


def test_an_unreadable_or_binary_plan_is_an_error_not_a_crash(tmp_path: Path) -> None:
    binary = tmp_path / "plan.yaml"
    binary.write_bytes(b"\xff\xfe\x00release")
    code, out = run("plan", "check", str(binary))
    assert code == 1 and f"{binary}: file: not UTF-8 text" in out and "internal error" not in out
    code, out = run("plan", "check", str(tmp_path / "missing.yaml"))
    assert code == 1 and "No such file" in out
