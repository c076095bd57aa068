"""Benchmark: 1,000 metrics × 5,760 points × 2 cohorts judged in one pass vs a per-metric scipy loop.

The reference is the obvious implementation of the same classification: for every metric, the two
one-sided tolerance tests with ``scipy.stats.mannwhitneyu`` (canary − T "greater", canary + T "less"),
timed in the same run on the same data. Both must give the same class for every metric.

Run: PYTHONPATH=src python bench/canary_judge.py [--metrics 1000] [--points 5760]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from vigil.analysis.canary import judge_matrix
from vigil.analysis.models import CanaryConfig, MetricJudgeConfig

GOAL_SECONDS, GOAL_RATIO = 0.5, 20.0


def make_data(metrics: int, points: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Realistic mix: continuous latencies, values rounded to integers and to 0.1 (ties), low counts;
    about 3 % regressions, 2 % improvements and 5 % changes within the tolerance."""
    rng = np.random.default_rng(seed)
    scale = rng.uniform(1, 500, metrics)[:, None]
    control = rng.lognormal(0, 0.3, (metrics, points)) * scale
    canary = rng.lognormal(0, 0.3, (metrics, points)) * scale
    kind = rng.choice(["continuous", "integer", "decimal", "levels"], metrics, p=[0.4, 0.3, 0.2, 0.1])
    change = rng.choice([1.0, 1.3, 0.7, 1.05], metrics, p=[0.90, 0.03, 0.02, 0.05])[:, None]
    canary *= change
    for name, fn in (("integer", np.round), ("decimal", lambda a: np.round(a, 1))):
        rows = kind == name
        control[rows], canary[rows] = fn(control[rows]), fn(canary[rows])
    rows = kind == "levels"
    control[rows] = rng.poisson(3, (rows.sum(), points))
    canary[rows] = rng.poisson(3 * change[rows], (rows.sum(), points))
    return control, canary, list(kind)


def loop_reference(control: np.ndarray, canary: np.ndarray, shift: np.ndarray, alpha: float) -> list[str]:
    classes = []
    for x, y, t in zip(control, canary, shift, strict=True):
        p_up = stats.mannwhitneyu(y - t, x, alternative="greater", method="asymptotic").pvalue
        p_down = stats.mannwhitneyu(y + t, x, alternative="less", method="asymptotic").pvalue
        high, low = p_up < alpha, p_down < alpha
        classes.append("high" if high and (not low or p_up <= p_down) else "low" if low else "pass")
    return classes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--metrics", type=int, default=1000)
    parser.add_argument("--points", type=int, default=5760)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    control, canary, _ = make_data(args.metrics, args.points)
    metrics = [MetricJudgeConfig(name=f"m{i}") for i in range(args.metrics)]
    config = CanaryConfig(metrics=metrics)
    exact_config = config.model_copy(update={"screen": False})

    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        verdicts = judge_matrix(metrics, control, canary, config)
        timings.append(time.perf_counter() - start)
    fast = min(timings)
    start = time.perf_counter()
    exact = judge_matrix(metrics, control, canary, exact_config)
    unscreened = time.perf_counter() - start

    shift = 0.1 * np.abs(np.median(control, axis=1))  # the judge's default tolerance: 10 % of the median
    # Best of two for the reference as well: on a shared machine both sides get the same chance of a quiet run.
    loops = []
    for _ in range(2):
        start = time.perf_counter()
        reference = loop_reference(control, canary, shift, config.alpha)
        loops.append(time.perf_counter() - start)
    loop = min(loops)

    ours = [verdicts[m.name].classification for m in metrics]
    ours_exact = [exact[m.name].classification for m in metrics]
    same = sum(a == b for a, b in zip(ours, reference, strict=True))
    same_exact = sum(a == b for a, b in zip(ours_exact, reference, strict=True))
    screened = sum(not v.p_exact for v in verdicts.values())
    counts = {c: ours.count(c) for c in ("pass", "high", "low")}
    print(f"canary judge: {args.metrics} metrics × {args.points} points × 2 cohorts, confidence {config.confidence}")
    print(f"  vectorised (screened)  : {fast:.3f} s  (best of {args.repeat}: {', '.join(f'{t:.3f}' for t in timings)})")
    print(f"  vectorised (no screen) : {unscreened:.3f} s")
    print(f"  scipy loop reference   : {loop:.3f} s  (best of 2; 2 × mannwhitneyu per metric)")
    print(
        f"  speed-up               : {loop / fast:.1f}× screened, {loop / unscreened:.1f}× without screen "
        f"(goal ≥ {GOAL_RATIO:g}× and ≤ {GOAL_SECONDS} s)"
    )
    print(f"  identical verdicts     : {same}/{args.metrics} screened, {same_exact}/{args.metrics} unscreened")
    print(f"  classes                : {counts}; verdicts decided by the exact screen alone: {screened}")
    verdict = "MET" if fast <= GOAL_SECONDS and loop / fast >= GOAL_RATIO and same == args.metrics else "NOT MET"
    print(f"  goal                   : {verdict}")


if __name__ == "__main__":
    main()
