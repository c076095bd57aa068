"""Grouping messages into templates with Drain (He et al., ICWS 2017), plus length-tolerant joining.

A message is split into tokens; a token that is *as a whole* a value (number, hex id, IP, UUID, path,
URL, a month or weekday name) is masked as ``<*>`` (``an14`` stays ``an14``). A fixed-depth tree keyed
by token count and the first tokens narrows the candidates; tokens that look variable (digits, masks,
paths, dotted host names) are never keys. A message joins the most similar cluster of its leaf when the
share of positions where the template's *constant* token equals the message's token reaches
``similarity`` — Drain's simSeq: a ``<*>`` in the template matches nothing, so two events that differ in
one word are not pulled together by the values they share. Ties go to the template with more wildcards;
differing positions become ``<*>``.

Lines of one event whose variable part spans a different number of tokens (a list of ids, a value with
spaces) have different lengths, which Drain never joins. When a message finds no similar cluster in its
leaf, it may join a cluster (of any length, among the recent ones with its first token) whose tokens align
with it before and after one run of value tokens (each has a digit or is masked), scored by the same
similarity over the aligned positions; the run becomes a variable-length wildcard. A cluster keeps its id
as its template generalises, so a line's group never changes.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from vigil.logs.alignment import GAP, WILDCARD, align_gap, is_variable

_SPLIT = re.compile(r"[=,]+")
# Whole-token values, once the brackets and punctuation around a token are set aside.
_VALUE = re.compile("|".join([
    r"[-+]?\d+(?:\.\d+)?%?",  # numbers
    r"0[xX][0-9a-fA-F]+",
    r"(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}",  # hex ids of 8 digits or more
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",  # uuid
    r"/?\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?",  # IPv4[:port]
    r"(?:[A-Za-z][\w+.-]*://|/)[^\s]*",  # URLs and absolute paths
    r"\d+(?:[:.\-/]\d+)+",  # times, dates, versions: digits joined by separators
]))
_EDGES = "()[]{}<>'\",;:."
# Month and weekday names: the words of a date written inside a message.
_CALENDAR = frozenset(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
                       "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
_CACHE_LIMIT = 100_000
_ACROSS_CANDIDATES = 256


@dataclass(frozen=True)
class MinerSettings:
    """One global configuration; the defaults were chosen by leave-one-system-out cross-validation over
    the ten loghub systems (``bench/logs_miner.py``)."""

    similarity: float = 0.7
    depth: int = 4
    max_children: int = 100
    split_colon: bool = True  # also split tokens at ':' (key:value)
    # Positions where the template has <*> and the message a masked value say nothing either way: left
    # out of the similarity's denominator (Drain counts them against the match).
    skip_shared_values: bool = True


class Tokenizer:
    """Splits and masks messages; remembers the tokens of recent words (words repeat a lot).

    A message is split at spaces; a word that is a value as a whole (a URL with its query, an IP list
    entry, a path) becomes one ``<*>``; any other word is split further at ``=`` and ``,`` (and ``:``
    with ``split_colon``) so that ``uid=0`` is a key and a value."""

    def __init__(self, split_colon: bool = False) -> None:
        self._split = re.compile(r"[=,:]+") if split_colon else _SPLIT
        self._words: dict[str, list[str]] = {}

    def __call__(self, message: str) -> list[str]:
        words, out = self._words, []
        for word in message.split():
            toks = words.get(word)
            if toks is None:
                toks = self._tokens(word)
                if len(words) >= _CACHE_LIMIT:
                    words.clear()
                words[word] = toks
            out.extend(toks)
        return out

    def _tokens(self, word: str) -> list[str]:
        if mask_token(word) == WILDCARD:
            return [WILDCARD]
        return [mask_token(t) for t in self._split.split(word) if t]


def mask_token(token: str) -> str:
    """``<*>`` in place of the token's value when the whole token (brackets aside) is one."""
    core = token.strip(_EDGES)
    # The whole token becomes the mask, brackets too: "[10.0.0.1]" kept as "[<*>]" would compare equal
    # to another line's "[<*>]" as if it were a constant.
    return WILDCARD if core and (core in _CALENDAR or _VALUE.fullmatch(core)) else token


def tokens(message: str) -> list[str]:
    return Tokenizer()(message)


@dataclass
class Cluster:
    id: int
    template: list[str]
    size: int = 0
    flexible: bool = False  # the template holds a GAP: compared only by alignment
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(WILDCARD if t == GAP else t for t in self.template)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


class TemplateMiner:
    def __init__(self, settings: MinerSettings | None = None, *, similarity: float | None = None,
                 depth: int | None = None, max_children: int | None = None) -> None:
        s = settings or MinerSettings()
        self.similarity = s.similarity if similarity is None else similarity
        self.depth = max(s.depth if depth is None else depth, 2)
        self.max_children = s.max_children if max_children is None else max_children
        self.tokenize = Tokenizer(s.split_colon)
        self.skip_shared_values = s.skip_shared_values
        self.clusters: list[Cluster] = []
        self._tree: dict[int, dict[str, object] | list[Cluster]] = {}
        # Candidates for joining across lengths, by their first token's key.
        self._by_first: dict[str, list[Cluster]] = {}

    def add(self, message: str) -> Cluster:
        toks = self.tokenize(message)
        leaf = self._leaf(toks)
        best = _best_same_length(leaf, toks, self.similarity, self.skip_shared_values)
        if best is not None:
            best.template = [a if a == b else WILDCARD for a, b in zip(best.template, toks, strict=True)]
        else:
            best = self._join_across_lengths(toks)
        if best is None:
            best = Cluster(len(self.clusters), toks)
            self.clusters.append(best)
            leaf.append(best)
            self._by_first.setdefault(_key(toks[0]) if toks else "", []).append(best)
        best.size += 1
        return best

    def _join_across_lengths(self, toks: list[str]) -> Cluster | None:
        best, best_score, best_template = None, -1.0, None
        # The most recent clusters with this first token only: a bound on the work per unmatched line.
        for cluster in self._by_first.get(_key(toks[0]) if toks else "", [])[-_ACROSS_CANDIDATES:]:
            found = align_gap(cluster.template, toks, self.skip_shared_values)
            if found is None:
                continue
            score, template = found
            if score > best_score:
                best, best_score, best_template = cluster, score, template
        if best is None or best_template is None or best_score < self.similarity:
            return None
        best.template, best.flexible = best_template, True
        return best

    def _leaf(self, toks: list[str]) -> list[Cluster]:
        node: dict[str, object] = self._tree.setdefault(len(toks), {})  # type: ignore[assignment]
        keys = toks[: self.depth - 2]
        for depth, token in enumerate(keys):
            key = _key(token)
            if key not in node and len(node) >= self.max_children:
                key = WILDCARD  # too many distinct tokens here: treat this one as a variable
            last = depth == len(keys) - 1
            child = node.setdefault(key, [] if last else {})
            if last:
                return child  # type: ignore[return-value]
            node = child  # type: ignore[assignment]
        return node.setdefault("", [])  # type: ignore[return-value]


def _key(token: str) -> str:
    return WILDCARD if is_variable(token) else token


def _best_same_length(leaf: list[Cluster], toks: list[str], threshold: float,
                      skip_shared_values: bool) -> Cluster | None:
    """Drain's fastMatch: highest simSeq, ties to more wildcards; None under the threshold."""
    best, best_sim, best_params = None, -1.0, -1
    n = len(toks)
    for cluster in leaf:
        if cluster.flexible:
            continue
        same = params = shared = 0
        for a, b in zip(cluster.template, toks, strict=True):
            if a == WILDCARD:
                params += 1
                shared += b == WILDCARD
            elif a == b:
                same += 1
        compared = n - shared if skip_shared_values else n
        sim = same / compared if compared else 1.0
        if sim > best_sim or (sim == best_sim and params > best_params):
            best, best_sim, best_params = cluster, sim, params
    return best if best is not None and best_sim >= threshold else None


def grouping_accuracy(predicted: Sequence[object], truth: Sequence[object]) -> float:
    """Share of lines whose predicted group holds exactly the lines of their true group."""
    if len(predicted) != len(truth):
        raise ValueError("predicted and true groupings must cover the same lines")
    if not truth:
        return 1.0
    true_sizes = Counter(truth)
    members: dict[object, Counter[object]] = {}
    for p, t in zip(predicted, truth, strict=True):
        members.setdefault(p, Counter())[t] += 1
    correct = 0
    for labels in members.values():
        if len(labels) == 1:
            (label, size), = labels.items()
            if true_sizes[label] == size:
                correct += size
    return correct / len(truth)
