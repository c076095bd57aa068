"""Token tests and the length-tolerant alignment the template miner uses.

``align_gap`` lines a template up with a message of another length: the tokens before and after one
run of *value-like* tokens (each with a digit or masked) must agree position by position, where a
template ``<*>`` takes any one token; the run becomes ``GAP``, a wildcard that takes any number of
value-like tokens. Requiring the run to be values is what keeps two events apart whose lengths differ by
words (``Failed password for root`` and ``Failed password for invalid user admin``).
"""

from __future__ import annotations

import re

WILDCARD = "<*>"
GAP = "<*...>"  # a wildcard spanning any number of value-like tokens (shown as <*>)
# A dotted name of three labels or more (host.example.com): a variable, not a tree key.
_DOTTED = re.compile(r"[\w-]+(?:\.[\w-]+){2,}")


def is_variable(token: str) -> bool:
    """Not a constant to route on: digits, a masked value, a path, an address or a dotted host name."""
    return (any(c.isdigit() for c in token) or WILDCARD in token or GAP in token or "/" in token
            or "@" in token or _DOTTED.fullmatch(token) is not None)


def is_value(token: str) -> bool:
    """A token that can belong to a variable run: it has a digit or is masked."""
    return WILDCARD in token or token == GAP or any(c.isdigit() for c in token)


def _fits(template_token: str, token: str) -> bool:
    return template_token in (token, WILDCARD)


def align_gap(template: list[str], toks: list[str], skip_shared_values: bool = False) -> tuple[float, list[str]] | None:
    """``(similarity, joined template)`` when ``toks`` aligns with ``template`` around one value run.

    The similarity is Drain's over the aligned positions: equal constant tokens per aligned position
    (leaving out positions where both hold a value, with ``skip_shared_values``)."""
    # A GAP fits no single token, so both scans stop at it and it falls into the run.
    m, n = len(template), len(toks)
    shorter = min(m, n)
    p = 0
    while p < shorter and _fits(template[p], toks[p]):
        p += 1
    s = 0
    while s < shorter - p and _fits(template[m - 1 - s], toks[n - 1 - s]):
        s += 1
    head, tail = template[:p], template[m - s:]
    runs = template[p:m - s] + toks[p:n - s]
    start_tail = n - s
    if (not head and not tail) or not all(is_value(t) for t in runs):
        return None
    aligned = list(zip(head, toks, strict=False)) + list(zip(tail, toks[start_tail:], strict=True))
    same = sum(1 for a, b in aligned if a == b and a != WILDCARD)
    shared = sum(1 for a, b in aligned if a == b == WILDCARD) if skip_shared_values else 0
    if same == 0:
        return None
    joined = ([a if a == b else WILDCARD for a, b in aligned[:len(head)]] + [GAP]
              + [a if a == b else WILDCARD for a, b in aligned[len(head):]])
    return same / (len(aligned) - shared), joined
