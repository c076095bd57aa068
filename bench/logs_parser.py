"""How well vigil's parser reads the ten loghub systems: timestamp, level and message against the
reference parse (``X_2k.log_structured.csv``).

    PYTHONPATH=src:bench python bench/logs_parser.py

Two parsers per system: vigil's as shipped (its known layouts first), and the generic text parser alone
(``formats=["text"]``: timestamp found anywhere near the start, header split off without a rule for the
layout) — the figure for a layout vigil has no rule for. Per system: share of lines whose timestamp was
found and equals the reference time, whose level equals the reference level (no level expected where the
reference has none: Linux's "Level" column holds the host), and whose message equals the reference
Content.
"""

from __future__ import annotations

import sys
import time

from loghub import NOW, SYSTEMS, load, reference_ts

from vigil.logs.parsers import LineParser, normalise_level


def score(system: str, formats: list[str] | None) -> tuple[float, float, float, float]:
    data = load(system)
    parser = LineParser(formats, now=NOW)
    t0 = time.perf_counter()
    parsed = [parser.parse(line) for line in data.lines]
    us = (time.perf_counter() - t0) * 1e6 / len(parsed)
    n = len(parsed)
    ts = sum(p.ts == reference_ts(system, r) for p, r in zip(parsed, data.rows, strict=True)) / n
    level = sum(p.level == normalise_level(r.get("Level", "")) for p, r in zip(parsed, data.rows, strict=True)) / n
    content = sum(p.message.strip() == r["Content"].strip() for p, r in zip(parsed, data.rows, strict=True)) / n
    return ts, level, content, us


def main() -> int:
    print(f"{'':10} {'--- vigil (layouts, then generic) ---':>38}   {'--- generic text parser alone ---':>38}")
    print(f"{'system':10}" + f" {'ts':>7} {'level':>7} {'message':>7} {'µs/line':>8}  " * 2)
    totals: list[list[float]] = [[], []]
    for system in SYSTEMS:
        row = f"{system:10}"
        for k, formats in enumerate((None, ["text"])):
            figures = score(system, formats)
            totals[k].append(figures)  # type: ignore[arg-type]
            row += " {:>7.3f} {:>7.3f} {:>7.3f} {:>8.1f}  ".format(*figures)
        print(row)
    row = f"{'mean':10}"
    for k in (0, 1):
        row += " {:>7.3f} {:>7.3f} {:>7.3f} {:>8.1f}  ".format(*(sum(c) / len(c) for c in zip(*totals[k], strict=True)))
    print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
