"""Whatever a plan file holds, the loader answers with a PlanError naming file and line, never a crash."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_text import plan_header
from vigil.errors import PlanError
from vigil.plan.loader import load_plan, parse_plan, plan_errors

HEADER = plan_header(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
_WORD = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_KEY = st.sampled_from(["release", "people", "metrics", "checkpoints", "name", "date", "version", "thresholds",
                        "max", "min", "judge", "kayenta_config", "rollback", "query", "source"]) | _WORD
_SCALAR = st.one_of(
    _WORD, st.integers().map(str), st.floats().map(str),
    st.sampled_from(["!!binary aGVsbG8=", "!!binary aGVsbG8", "!!int x", "!!float x", "!!timestamp x",
                     "2026-02-30", "2026-13-45 10:00", "0x_", "0o9", "~", "*undefined", "&a x", "!!set {1}",
                     "!!omap [1]", "!!python/object:os.system x", "'\\x08'", '"\\u0000"', "[", "{", "1e999",
                     "99999999999999999999", "²", "\x08", "!!str", "!!map [1]", "!!seq {a: 1}"]),
)


def _document(depth: int = 0) -> st.SearchStrategy[str]:
    """YAML-ish text: block mappings and flow sequences of keys and awkward scalars, indented by depth."""
    indent = "  " * depth
    value = _SCALAR if depth >= 2 else st.one_of(_SCALAR, st.deferred(lambda: _document(depth + 1)).map(
        lambda d: "\n" + d), st.lists(_SCALAR, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"))
    pair = st.tuples(_KEY, value).map(lambda kv: f"{indent}{kv[0]}: {kv[1]}")
    return st.lists(pair, min_size=1, max_size=4).map("\n".join)


def _only_plan_errors(text: str) -> None:
    try:
        parse_plan(text, "fuzz.yaml")
    except PlanError as exc:
        assert exc.path == "fuzz.yaml" and exc.message
    assert all(isinstance(e, PlanError) and e.path == "fuzz.yaml" for e in plan_errors(text, "fuzz.yaml"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_gives_only_plan_errors(text: str) -> None:
    _only_plan_errors(text)


@settings(max_examples=300, deadline=None)
@given(_document(), st.booleans())
def test_arbitrary_yaml_documents_give_only_plan_errors(document: str, after_header: bool) -> None:
    _only_plan_errors(HEADER + document if after_header else document)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_a_binary_plan_file_is_a_plan_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.yaml"
        path.write_bytes(data)
        try:
            load_plan(path)
        except PlanError as exc:
            assert exc.path == str(path)


@pytest.mark.parametrize(("text", "line", "says"), [
    ("release:\n  name: a\x08\n", 2, r"U\+0008 is not allowed"),
    ("release: !!binary aGVsbG8=\n", 1, "release"),
    ("release:\n  name: x\n  date: 2026-02-30\n", 3, "day is out of range"),
    ("a: 1\nb: !!int x\n", 2, "cannot be read"),
])
def test_the_inputs_that_crashed_it_name_their_line(text: str, line: int, says: str) -> None:
    with pytest.raises(PlanError, match=says) as caught:
        parse_plan(text, "plan.yaml")
    assert caught.value.line == line
