"""Usage errors, over every command of the installed typer app: usage line and exit 2, never "internal error".

The command tree is walked from the real app, so a command added later is covered without editing this file.
Each case runs ``vigil.cli.app.main`` (the entry point the ``vigil`` script calls) in-process; a few run the
real ``vigil`` process too.
"""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigil.cli.app import main, root
from vigil.cli.defaultgroup import DefaultGroup


def _walk(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in (getattr(command, "commands", None) or {}).items():
        found += _walk(sub, (*path, name))
    return found


TREE = _walk(typer.main.get_command(root), ())
COMMANDS = [(path, c) for path, c in TREE if getattr(c, "commands", None) is None]
# A default group reads an unknown first word as its default command's argument (`vigil smoke R`).
GROUPS = [(path, g) for path, g in TREE if getattr(g, "commands", None) is not None and not isinstance(g, DefaultGroup)]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, out.getvalue(), err.getvalue()


def assert_usage_error(code: int, err: str, path: tuple[str, ...]) -> None:
    assert code == 2, err
    assert "internal error" not in err
    assert f"Usage: vigil {' '.join(path)}".rstrip() in err, err


def test_the_tree_holds_every_command() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"status", "release list", "incident clock", "watch"} <= names
    assert len(COMMANDS) > 50


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_an_unknown_option_is_a_usage_error_on_every_command(path: tuple[str, ...]) -> None:
    code, _, err = run(*path, "--no-such-option")
    assert_usage_error(code, err, path)
    assert "No such option: --no-such-option" in err


@pytest.mark.parametrize("path", [p for p, c in COMMANDS if any(x.required for x in c.params)], ids=" ".join)
def test_a_missing_required_value_is_a_usage_error(path: tuple[str, ...]) -> None:
    code, _, err = run(*path)
    assert_usage_error(code, err, path)
    assert "Missing" in err


@st.composite
def misspelling(draw: st.DrawFn) -> tuple[tuple[str, ...], str]:
    """A group and a word near one of its command names that is no command name."""
    path, group = draw(st.sampled_from(GROUPS))
    name = draw(st.sampled_from(sorted(group.commands)))
    at = draw(st.integers(0, len(name)))
    letter = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz-"))
    edit = draw(st.sampled_from(["insert", "delete", "replace"]))
    word = {"insert": name[:at] + letter + name[at:], "delete": name[:at] + name[at + 1:],
            "replace": name[:at] + letter + name[at + 1:]}[edit]
    if not word or word in group.commands or word.startswith("-"):
        word = name + "x" if name + "x" not in group.commands else name + "zz"
    return path, word


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(misspelling())
def test_a_misspelt_command_is_a_usage_error_in_every_group(case: tuple[tuple[str, ...], str]) -> None:
    path, word = case
    code, _, err = run(*path, word)
    assert_usage_error(code, err, path)
    assert "No such command" in err


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(COMMANDS), st.from_regex(r"--[a-z][a-z0-9-]{1,15}", fullmatch=True))
def test_any_unknown_option_name_is_a_usage_error(command: tuple[tuple[str, ...], Any], option: str) -> None:
    path, cmd = command
    known = {o for p in cmd.params for o in (*p.opts, *getattr(p, "secondary_opts", []))}
    if option in known or any(o.startswith(option) for o in known if o.startswith("--")):
        return  # a real option (or an abbreviation click might accept)
    code, _, err = run(*path, option)
    assert_usage_error(code, err, path)


# Not a time: free text, ISO-looking garbage, and real ISO times outside any release's span.
bad_times = st.one_of(
    st.text(min_size=1, max_size=25).filter(lambda s: not s.startswith("-") and "\x00" not in s),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?([+-][0-9]{2}:[0-9]{2})?", fullmatch=True),
    st.datetimes(max_value=__import__("datetime").datetime(1969, 12, 30)).map(lambda d: d.isoformat()),
    st.datetimes(min_value=__import__("datetime").datetime(3000, 1, 2)).map(lambda d: d.isoformat()),
)


def _is_a_time(text: str) -> bool:
    from vigil.cli.common import parse_time

    try:
        parse_time(text)
    except typer.BadParameter:
        return False
    return True


@settings(max_examples=80, deadline=None)
@given(bad_times)
def test_a_bad_time_is_a_clear_usage_error(text: str) -> None:
    if _is_a_time(text):
        return  # the regex can produce a real time; the valid case is tested below
    for path, args in ((("incident", "clock"), ("INC-00001", "detected", text, "--reason", "r")),
                       (("watch",), ("--speed", "60", "--anchor", text))):
        code, _, err = run(*path, *args)
        assert_usage_error(code, err, path)
        assert "is not a time" in err or "is outside" in err, err


def test_valid_times_parse_to_utc() -> None:
    from datetime import UTC, datetime

    from vigil.cli.common import parse_time

    assert parse_time("2026-11-24T09:00:00+01:00") == datetime(2026, 11, 24, 8, tzinfo=UTC)
    assert parse_time("2026-11-24T09:00:00") == datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert parse_time("2026-11-24T09:00:00.250Z") == datetime(2026, 11, 24, 9, 0, 0, 250_000, tzinfo=UTC)


def test_bad_numbers_are_usage_errors() -> None:
    code, _, err = run("watch", "--speed", "fast")
    assert_usage_error(code, err, ("watch",))
    assert "Invalid value for '--speed'" in err


def test_the_real_process_reports_a_misspelt_command_with_exit_2(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "vigil", "no-such-command"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert "internal error" not in done.stderr
    assert "Usage: vigil" in done.stderr and "No such command 'no-such-command'" in done.stderr
    bad = subprocess.run([sys.executable, "-m", "vigil", "incident", "clock", "INC-1", "detected", "yesterday",
                          "--reason", "r"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "internal error" not in bad.stderr and "is not a time" in bad.stderr


def test_a_command_registered_the_eager_way_still_runs(tmp_path: Path) -> None:
    """`root.command()` next to the lazy table (a branch written before it) keeps working."""
    probe = ("from vigil.cli import app\n\ndef hello() -> None:\n    print('hello there')\n\n"
             "app.root.command()(hello)\napp.main(['hello'])\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0 and "hello there" in done.stdout, done.stderr
