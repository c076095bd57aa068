"""Grouping accuracy of the Drain miner on every loghub system, against its EventId column.

    VIGIL_DATA=/path/to/data PYTHONPATH=src python bench/logs_miner.py   (loghub in $VIGIL_DATA/loghub)

Messages come from vigil's own parsers (end to end, as detection sees them). Grouping accuracy is the
share of lines whose predicted group holds exactly the lines of their true group. The reference in the
same run is the trivial miner that puts every distinct message in its own group.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from public_data import data_set

from vigil.logs.miner import TemplateMiner, grouping_accuracy
from vigil.logs.parsers import LineParser

SYSTEMS = ["Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "OpenSSH", "OpenStack", "Spark",
           "Zookeeper"]


def loghub_dir() -> Path:
    return data_set("loghub", *(f"{system}/{system}_2k.log{suffix}" for system in SYSTEMS
                                for suffix in ("", "_structured.csv")))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--similarity", type=float, default=0.7)
    args = ap.parse_args()
    base = loghub_dir()
    print(f"{'system':10} {'lines':>6} {'events':>6} {'groups':>6} {'accuracy':>9} {'exact-msg':>9} "
          f"{'lines/s':>9}")
    scores = []
    for system in SYSTEMS:
        raw = (base / system / f"{system}_2k.log").read_text(encoding="utf-8", errors="replace").splitlines()
        structured = base / system / f"{system}_2k.log_structured.csv"
        with structured.open(encoding="utf-8", errors="replace") as fh:
            truth = [row["EventId"] for row in csv.DictReader(fh)]
        parser = LineParser(now=datetime(2026, 11, 24, tzinfo=UTC))
        messages = [parser.parse(line).message for line in raw]
        miner = TemplateMiner(similarity=args.similarity)
        t0 = time.perf_counter()
        predicted = [miner.add(m).id for m in messages]
        rate = len(messages) / (time.perf_counter() - t0)
        accuracy = grouping_accuracy(predicted, truth)
        trivial = grouping_accuracy(messages, truth)
        scores.append(accuracy)
        print(f"{system:10} {len(raw):>6} {len(set(truth)):>6} {len(miner.clusters):>6} {accuracy:>9.3f} "
              f"{trivial:>9.3f} {rate:>9,.0f}")
    print(f"{'mean':10} {'':>6} {'':>6} {'':>6} {sum(scores) / len(scores):>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
