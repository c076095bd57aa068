"""What each anomaly sensitivity preset costs and buys: false alarms on noise against the NAB score.

For each preset of ``vigil.analysis.sensitivity`` (high, medium, low) it prints:
* alarms per 10,000 samples at the threshold 0.9992 on independent Gaussian noise (six seeds of 20,000
  values, the first 1,000 of each left to learning): every one is a false alarm;
* the NAB score (standard profile) on the NAB files in $VIGIL_DATA/nab (bench/public_data.py), at NAB's
  best threshold and at 0.9992.
Each figure is also given as a ratio to the ``high`` preset measured in the same run.

Run: VIGIL_DATA=/path/to/data PYTHONPATH=src python bench/anomaly_sensitivity.py
"""

from __future__ import annotations

import argparse
from typing import get_args

import numpy as np
from nab_score import NabFile, corpus_score, data_root, load, normalised, run

from vigil.analysis.anomaly import SeasonalDetector, score_series
from vigil.analysis.sensitivity import Sensitivity, settings_for

THRESHOLD = 0.9992
SEEDS, LENGTH, LEARNING = range(6), 20_000, 1_000


def noise_alarms_per_10k(preset: Sensitivity) -> float:
    alarms = 0
    for seed in SEEDS:
        values = 100 + 5 * np.random.default_rng(seed).standard_normal(LENGTH)
        alarms += int((score_series(values, settings_for(preset))[LEARNING:] >= THRESHOLD).sum())
    return alarms / (len(SEEDS) * (LENGTH - LEARNING)) * 1e4


def nab_scores(files: list[NabFile], preset: Sensitivity) -> list[np.ndarray]:
    settings = settings_for(preset)
    return run(files, lambda _file: SeasonalDetector(settings))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    files = load(data_root())
    rows = {}
    for preset in get_args(Sensitivity):
        scores = nab_scores(files, preset)
        _, best, _ = corpus_score(files, scores)
        rows[preset] = (noise_alarms_per_10k(preset), best, normalised(files, scores, THRESHOLD))
    noise_ref, best_ref, fixed_ref = rows["high"]
    print(f"anomaly sensitivity presets: noise alarms per 10k samples ({len(SEEDS)} seeds × {LENGTH:,}), "
          f"NAB on {len(files)} files")
    print(f"  {'preset':<7} {'noise/10k':>9} {'× high':>7}   {'NAB best':>8} {'× high':>7}   {'NAB@0.9992':>10}")
    for preset, (noise, best, fixed) in rows.items():
        ratio = f"{noise / noise_ref:7.2f}" if noise_ref else "      –"
        print(f"  {preset:<7} {noise:9.2f} {ratio}   {best:8.1f} {best / best_ref:7.2f}   {fixed:10.1f}")
    print(f"  (references in the same run: high's {noise_ref:.2f} alarms per 10k, NAB {best_ref:.1f} "
          f"and {fixed_ref:.1f} at 0.9992)")


if __name__ == "__main__":
    main()
