"""The free-text query language: words, "quoted phrases", AND / OR / NOT and parentheses.

Juxtaposed terms mean AND; AND binds tighter than OR; NOT applies to the term after it. A word matches
a whole word of the raw line case-insensitively, where a word is a run of letters, digits and '_' —
what ``grep -iw`` calls a word — so a search returns exactly the lines ``grep -iwc`` counts. A term with
punctuation inside (``10.0.0.1``, ``"user 42 failed"``) is a phrase: its words in order, next to each
other with only punctuation or spaces between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vigil.errors import VigilError

WORD = re.compile(r"\w+")
_TOKEN = re.compile(r'\s*(?:(?P<phrase>"[^"]*")|(?P<open>\()|(?P<close>\))|(?P<bare>[^\s()"]+))')


class QueryError(VigilError):
    """A search expression that cannot be read."""


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Term | And | Or | Not


def parse_query(text: str) -> Node | None:
    """The expression tree of ``text``; ``None`` for an empty query (match everything)."""
    tokens = _tokens(text)
    if not tokens:
        return None
    parser = _Parser(tokens, text)
    node = parser.or_expr()
    if parser.pos != len(tokens):
        raise QueryError(f"cannot read the search {text!r}: unexpected {tokens[parser.pos][1]!r}")
    return node


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos:].strip() == "":
                break
            raise QueryError(f"cannot read the search {text!r}: unbalanced quote")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "bare" and value in ("AND", "OR", "NOT"):
            kind = value
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.text, self.pos = tokens, text, 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self._peek() == "OR":
            self.pos += 1
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self._peek() in ("AND", "NOT", "phrase", "bare", "open"):
            if self._peek() == "AND":
                self.pos += 1
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self._peek() == "NOT":
            self.pos += 1
            return Not(self.not_expr())
        return self.atom()

    def atom(self) -> Node:
        kind = self._peek()
        if kind is None:
            raise QueryError(f"cannot read the search {self.text!r}: it ends where a term should follow")
        value = self.tokens[self.pos][1]
        self.pos += 1
        if kind == "open":
            node = self.or_expr()
            if self._peek() != "close":
                raise QueryError(f"cannot read the search {self.text!r}: missing ')'")
            self.pos += 1
            return node
        if kind in ("phrase", "bare"):
            words = tuple(WORD.findall(value.strip('"')))
            if not words:
                raise QueryError(f"cannot search for {value!r}: it contains no letters or digits")
            return Term(words)
        raise QueryError(f"cannot read the search {self.text!r}: unexpected {value!r}")
