"""The import graph, read from the code, against the layering in docs/architecture.md.

Every ``import vigil.x`` and ``from vigil.x import …`` counts, at module level or inside a function (a
function-level import is still a dependency). A new import that goes upward, or a new cycle between two
domains, fails here; so does a known cycle that is gone but still listed, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import vigil

SRC = Path(vigil.__file__).parent
FOUNDATION = {"errors", "clock", "settings", "store"}
BOTTOM = {"plan", "metrics", "analysis"}
DOMAINS = {"releases", "access", "usage", "signoffs", "watch", "alerts", "incidents", "logs", "smoke", "retro",
           "evidence", "governance", "reports"}
FLOWS = {"flows"}
ABOVE_DOMAINS = {"models", "migrations"}  # every domain's models gathered for Alembic, and the migrations
ENTRY = {"cli", "web", "__main__"}
PACKAGE = {"__init__", "examples"}  # vigil itself (its version), the shipped example plans
# Cycles between domains not yet broken (docs/architecture.md, "Known cycles"). Remove a pair when it goes.
KNOWN_CYCLES = {
    ("alerts", "incidents"),
    ("alerts", "watch"),
    ("governance", "reports"),
    ("governance", "retro"),
    ("incidents", "reports"),
}


def imports() -> dict[str, dict[str, set[str]]]:
    """package → imported package → the files that import it."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        package = relative.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if name.startswith("vigil."):
                    target = name.split(".")[1]
                    if target != package:
                        graph[package][target].add(str(relative))
    return graph


def test_every_package_has_a_layer() -> None:
    layered = FOUNDATION | BOTTOM | DOMAINS | FLOWS | ABOVE_DOMAINS | ENTRY | PACKAGE
    found = {p.name.removesuffix(".py") for p in SRC.iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"}
    found |= {p.name for p in SRC.iterdir() if p.is_dir() and p.name == "migrations"}
    assert found - layered == set(), "a package docs/architecture.md does not place in a layer"


def _violations(layer: set[str], allowed: set[str]) -> list[str]:
    graph = imports()
    return [f"{source} imports {target} ({', '.join(sorted(files))})"
            for source in sorted(layer) for target, files in sorted(graph.get(source, {}).items())
            if target not in allowed | layer]


def test_the_foundation_knows_no_domain() -> None:
    assert _violations(FOUNDATION, set()) == []


def test_plan_metrics_and_analysis_import_only_the_foundation() -> None:
    assert _violations(BOTTOM, FOUNDATION) == []


def test_domains_import_nothing_above_them() -> None:
    assert _violations(DOMAINS, FOUNDATION | BOTTOM) == []


def test_flows_import_no_entry_point() -> None:
    assert _violations(FLOWS, FOUNDATION | BOTTOM | DOMAINS) == []


def test_the_web_does_not_reach_into_the_cli() -> None:
    assert "cli" not in imports().get("web", {})


def test_no_new_cycle_between_domains_and_no_stale_entry_in_the_known_list() -> None:
    graph = imports()
    cycles = {tuple(sorted((a, b))) for a in DOMAINS for b in graph.get(a, {})
              if b in DOMAINS and a in graph.get(b, {})}
    assert cycles - KNOWN_CYCLES == set(), "a new import cycle between domains"
    assert KNOWN_CYCLES - cycles == set(), "a known cycle is gone: remove it from KNOWN_CYCLES and the docs"
