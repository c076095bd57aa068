"""Grouping messages into templates with Drain (He et al., ICWS 2017).

Messages are split on spaces after masking obvious variables (addresses, numbers, hex ids); a fixed-depth
tree keyed by token count and the first tokens narrows the candidates; a message joins the most similar
cluster of its leaf when at least ``similarity`` of the positions agree (a masked value in the message
agrees with a wildcard), and the positions that differ become ``<*>``. A cluster keeps its id as its
template generalises, so a line's group never changes.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

WILDCARD = "<*>"
# Obvious variables, masked in one pass (one alternation is several times faster than four passes).
_MASK = re.compile("|".join([
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",  # uuid
    r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?![\w.])",  # IPv4[:port]
    r"\b0[xX][0-9a-fA-F]+\b",
    r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?(?![A-Za-z])",  # numbers not glued to letters
]))
_SPLIT = re.compile(r"[\s=,:]+")


def tokens(message: str) -> list[str]:
    return [t for t in _SPLIT.split(_MASK.sub(WILDCARD, message)) if t]


@dataclass
class Cluster:
    id: int
    template: list[str]
    size: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.template)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


class TemplateMiner:
    # 0.7: the best mean grouping accuracy over the ten loghub systems (bench/logs_miner.py; 0.5 gives
    # 0.86, 0.7 gives 0.89, 0.8 gives 0.85).
    def __init__(self, *, similarity: float = 0.7, depth: int = 4, max_children: int = 100) -> None:
        self.similarity, self.depth, self.max_children = similarity, max(depth, 3), max_children
        self.clusters: list[Cluster] = []
        self._tree: dict[object, dict[str, object] | list[Cluster]] = {}

    def add(self, message: str) -> Cluster:
        toks = tokens(message)
        leaf = self._leaf(toks)
        best, best_sim = None, -1.0
        for cluster in leaf:
            sim = _similarity(cluster.template, toks)
            if sim > best_sim:
                best, best_sim = cluster, sim
        if best is not None and best_sim >= self.similarity:
            best.template = [a if a == b else WILDCARD for a, b in zip(best.template, toks, strict=True)]
        else:
            best = Cluster(len(self.clusters), toks)
            self.clusters.append(best)
            leaf.append(best)
        best.size += 1
        return best

    def _leaf(self, toks: list[str]) -> list[Cluster]:
        node: dict[str, object] = self._tree.setdefault(len(toks), {})  # type: ignore[assignment]
        for depth, token in enumerate(toks[: self.depth - 2]):
            key = WILDCARD if any(c.isdigit() for c in token) else token
            if key not in node and len(node) >= self.max_children:
                key = WILDCARD  # too many distinct first tokens here: treat this one as a variable
            last = depth == min(len(toks), self.depth - 2) - 1
            child = node.setdefault(key, [] if last else {})
            if last:
                return child  # type: ignore[return-value]
            node = child  # type: ignore[assignment]
        return node.setdefault("", [])  # type: ignore[return-value]


def _similarity(template: list[str], toks: list[str]) -> float:
    if not toks:
        return 1.0
    # A masked variable in the message agrees with a wildcard in the template: both say "a value here".
    same = sum(1 for a, b in zip(template, toks, strict=True) if a == b)
    return same / len(toks)


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
