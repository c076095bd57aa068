"""Where a plain-text line's header ends and its message begins, for layouts vigil has no rule for.

Given the span of the line's timestamp, everything before it is header, and so are the fields right
after it that headers are made of: separators (``-``, ``|``, ``,``), bracketed fields (``[main]``,
``<warn>``), numbers (pid, thread id), a level word in any case (``Info``, ``WARNING``, ``warn``; a lone
``V D I W E F`` as Android writes it), the tokens of a column-aligned header, and a component that ends
the header (``dfs.DataNode:``, ``sshd[42]:``, a name before a bracketed context, a column padded with
spaces). A level is taken only from the header: a level word is accepted where every token before it
looks like a header field (digits, capitals, an identifier with ``.-_:``), never after an ordinary word,
so ``instruction cache parity error corrected`` keeps its ``error``.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import NamedTuple

LEVEL_NAMES = {
    "trace": "trace", "finest": "trace", "finer": "trace", "verbose": "trace",
    "debug": "debug", "fine": "debug", "dbg": "debug",
    "info": "info", "information": "info", "notice": "info", "informational": "info",
    "warn": "warn", "warning": "warn",
    "error": "error", "err": "error", "severe": "error", "failure": "error",
    "fatal": "fatal", "critical": "fatal", "crit": "fatal", "alert": "fatal", "emerg": "fatal",
    "emergency": "fatal", "panic": "fatal",
}
_LETTERS = {"V": "trace", "D": "debug", "I": "info", "W": "warn", "E": "error", "F": "fatal"}
_LEVEL_SCAN = 10  # header fields before a level; a level further in is message text
# One header field: a bracketed group (one level of nesting), or a run of non-space characters.
_FIELD = re.compile(r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]|<[^<>\s]*>|[^\s\[<]+\S*|\S+")
# Fields a header is made of before its level: anything with a digit (pid, host, date), capitals (RAS,
# KERNEL), separators, bracketed fields. An ordinary word ends the search: the message has begun.
_HEADERISH = re.compile(r"\S*\d\S*|[A-Z][A-Z0-9_]+|[-|,:]|[\[<].*")
# A logger after the level: a class or package name ("Remoting:", "spark.SecurityManager:"); a lower-case
# word with a colon ("ciod: failed to read") is how a message starts.
_TAG = re.compile(r"(?:[A-Z][\w$.\-/]*|[\w$\-/]*[.$_/][\w$.\-/]*)(?:\(\w+\))?(?:\[\w+\])?:")
_NAME = re.compile(r"[A-Z][\w$.\-]*|[\w$\-]*[.$_][\w$.\-]*")  # a logger's name, without the colon
_COMPONENT = re.compile(r"[\w$.\-/]*(?:[.$_/]|[a-z][A-Z])[\w$.\-/()]*(?:\[\w+\])?:|[\w.\-/]+(?:\(\w+\))?\[\d+\]:")


class Header(NamedTuple):
    level: str
    component: str | None
    message: str


def level_of(field: str) -> str:
    """The level a header field names (``[INFO]``, ``<warn>``, ``Warning:``, ``E``), or ``""``."""
    word = field.strip("[]<>():/")
    return LEVEL_NAMES.get(word.lower(), "") or _LETTERS.get(word, "")


def split_header(line: str, ts_start: int, ts_end: int) -> Header:
    rest = line[ts_end:]
    if ts_start > 0 and line[ts_start - 1] in "[(" and rest[:1] in "])":
        rest = rest[1:]
    if rest.lstrip(" ").startswith("|"):
        return _pipe(rest)
    fields = _fields(rest)
    level, taken = _find_level(fields)
    component = None
    if taken:
        component, taken = _after_level(fields, taken)
    else:
        taken = _leading_separators(fields)
        component, taken = _syslog_component(fields, taken)
    message = rest[fields[taken - 1][2]:] if taken else rest
    if not level and ts_start > 0:  # "<warn> 2024-01-02 ..." or "- 1117838570 ... INFO": before the time
        level = _find_level(_fields(line[:ts_start]))[0]
    return Header(level, component, message.strip())


def _fields(text: str) -> list[tuple[str, int, int]]:
    """The first header-sized fields of ``text``: (text, start, end)."""
    return [(m.group(), m.start(), m.end()) for m in islice(_FIELD.finditer(text, 0, 400), _LEVEL_SCAN + 4)]


def _find_level(fields: list[tuple[str, int, int]]) -> tuple[str, int]:
    for i, (text, _s, _e) in enumerate(fields[:_LEVEL_SCAN]):
        level = level_of(text)
        if level and (len(text) > 1 or i > 0):  # a lone letter first on the line is no level
            return level, i + 1
        if not _HEADERISH.fullmatch(text):
            break
    return "", 0


def _after_level(fields: list[tuple[str, int, int]], taken: int) -> tuple[str | None, int]:
    """Bracketed fields and separators after the level, then a component if one follows."""
    while taken < len(fields) and (fields[taken][0] in ("-", "|", ":") or _bracket_in_header(fields, taken)):
        taken += 1
    if taken >= len(fields):
        return None, taken
    text, _start, end = fields[taken]
    if _TAG.fullmatch(text):  # right after a level, any "name:" is the logger
        return text[:-1], taken + 1
    following = fields[taken + 1] if taken + 1 < len(fields) else None
    if following is None or not _NAME.fullmatch(text):
        return None, taken
    if following[0][0] == "[":
        return text, taken + 2  # "nova.compute.manager [req-...] message": a name before its context
    if following[1] - end >= 2:
        return text, taken + 1  # a column padded with spaces: "Info      CBS    Loaded ..."
    return None, taken


def _bracket_in_header(fields: list[tuple[str, int, int]], i: int) -> bool:
    """A bracketed field after the level is header (``[main]``), unless it has spaces and is followed by
    text that is no header (``[client 10.0.0.1] Directory index forbidden``)."""
    text = fields[i][0]
    if text[0] not in "[<":
        return False
    if " " not in text:
        return True
    following = fields[i + 1][0] if i + 1 < len(fields) else ""
    return following in ("-", "|", ":") or _TAG.fullmatch(following) is not None


def _leading_separators(fields: list[tuple[str, int, int]]) -> int:
    taken = 0
    while taken < len(fields) and fields[taken][0] in ("-", "|", ",", ":"):
        taken += 1
    return taken


def _syslog_component(fields: list[tuple[str, int, int]], taken: int) -> tuple[str | None, int]:
    """``host tag[pid]:`` or ``tag[pid]:`` right after the time (a syslog-style header)."""
    if taken < len(fields) and _COMPONENT.fullmatch(fields[taken][0]):
        return fields[taken][0][:-1], taken + 1
    i = taken + 1  # after a host name the tag must show its pid or facility: "combo sshd(pam_unix)[42]:"
    if i < len(fields) and _COMPONENT.fullmatch(fields[i][0]) and ("[" in fields[i][0] or "(" in fields[i][0]):
        return fields[i][0][:-1], i + 1
    return None, taken


def _pipe(rest: str) -> Header:
    """``|component|pid|message``: fields without spaces up to the last of them are header."""
    parts = rest.lstrip(" ").split("|")
    i = 1
    while i < len(parts) - 1 and " " not in parts[i].strip():
        i += 1
    header = parts[1:i]
    return Header("", header[0] if header else None, "|".join(parts[i:]).strip())
