"""Grouping accuracy of vigil's miner on the ten loghub systems, held out, beside drain3 and LOGPAI's Drain.

    PYTHONPATH=src python bench/logs_miner.py          # pip install -e '.[bench]' for the peers

Messages come from vigil's own parser (end to end, as detection sees them); all three miners get the
same messages in the same process. Grouping accuracy is LOGPAI's: a line is correct iff the set of lines
in its predicted group equals the set in its true group (loghub's EventId).

The protocol: every setting of the grid is run on every system; for each system the setting with the
best mean over the *other nine* is chosen and scored on it (leave-one-system-out). Those held-out figures
come first; the in-sample ones (the one setting best on all ten, scored on the same ten) beside them.
drain3 runs with its shipped defaults, LOGPAI's Drain with the per-system settings of its own benchmark
(tuned by its authors on these very files: an in-sample figure).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable

from loghub import NOW, SYSTEMS, load

from vigil.logs.miner import MinerSettings, TemplateMiner, grouping_accuracy
from vigil.logs.parsers import LineParser

GRID = [MinerSettings(similarity=s, depth=d, split_colon=c, skip_shared_values=k)
        for s, d, c, k in itertools.product((0.4, 0.5, 0.6, 0.7, 0.8), (3, 4, 5), (False, True), (False, True))]

# LOGPAI's Drain benchmark settings (logparser/Drain/benchmark.py) for the ten systems.
LOGPAI = {
    "HDFS": ([r"blk_-?\d+", r"(\d+\.){3}\d+(:\d+)?"], 0.5, 4),
    "Hadoop": ([r"(\d+\.){3}\d+"], 0.5, 4),
    "Spark": ([r"(\d+\.){3}\d+", r"\b[KGTM]?B\b", r"([\w-]+\.){2,}[\w-]+"], 0.5, 4),
    "Zookeeper": ([r"(/|)(\d+\.){3}\d+(:\d+)?"], 0.5, 4),
    "BGL": ([r"core\.\d+"], 0.5, 4),
    "Linux": ([r"(\d+\.){3}\d+", r"\d{2}:\d{2}:\d{2}"], 0.39, 6),
    "HealthApp": ([], 0.2, 4),
    "Apache": ([r"(\d+\.){3}\d+"], 0.5, 4),
    "OpenSSH": ([r"(\d+\.){3}\d+", r"([\w-]+\.){2,}[\w-]+"], 0.6, 5),
    "OpenStack": ([r"((\d+\.){3}\d+,?)+", r"/.+?\s", r"\d+"], 0.5, 5),
}


def vigil_groups(settings: MinerSettings) -> Callable[[list[str], str], list[object]]:
    def run(messages: list[str], _system: str) -> list[object]:
        miner = TemplateMiner(settings)
        return [miner.add(m).id for m in messages]
    return run


def drain3_groups(messages: list[str], _system: str) -> list[object]:
    from drain3 import TemplateMiner as Drain3
    from drain3.template_miner_config import TemplateMinerConfig

    miner = Drain3(config=TemplateMinerConfig())
    return [miner.add_log_message(m)["cluster_id"] for m in messages]


def logpai_groups(messages: list[str], system: str) -> list[object]:
    """logparser3's Drain, driven message by message exactly as its ``parse`` loop does."""
    from logparser.Drain.Drain import Logcluster, LogParser, Node

    rex, st, depth = LOGPAI[system]
    drain = LogParser(log_format="<Content>", rex=rex, st=st, depth=depth)
    root, clusters, out = Node(), [], []
    for m in messages:
        seq = drain.preprocess(m).strip().split()
        cluster = drain.treeSearch(root, seq)
        if cluster is None:
            cluster = Logcluster(logTemplate=seq, logIDL=[len(clusters)])
            clusters.append(cluster)  # kept, as its parse loop keeps them (the tree may not hold every one)
            drain.addSeqToPrefixTree(root, cluster)
        else:
            cluster.logTemplate = drain.getTemplate(seq, cluster.logTemplate)
        out.append(cluster.logIDL[0])
    return out


def timed_accuracy(run: Callable[[list[str], str], list[object]], messages: list[str], truth: list[str],
                   system: str) -> tuple[float, float]:
    t0 = time.perf_counter()
    predicted = run(messages, system)
    return grouping_accuracy(predicted, truth), len(messages) / (time.perf_counter() - t0)


def leave_one_out(scores: dict[int, dict[str, float]]) -> dict[str, int]:
    """For each system, the grid index with the best mean over the other systems."""
    return {held: max(scores, key=lambda i: (statistics.fmean(v for s, v in scores[i].items() if s != held), -i))
            for held in SYSTEMS}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-peers", action="store_true", help="skip drain3 and LOGPAI's Drain")
    ap.add_argument("--generic-parser", action="store_true",
                    help="messages from the generic text parser alone (no layout rules), as for an unknown layout")
    args = ap.parse_args()
    data = {name: load(name) for name in SYSTEMS}
    messages, truth = {}, {}
    for name, system in data.items():
        parser = LineParser(["text"] if args.generic_parser else None, now=NOW)
        messages[name] = [parser.parse(line).message for line in system.lines]
        truth[name] = [r["EventId"] for r in system.rows]
    scores: dict[int, dict[str, float]] = {i: {} for i in range(len(GRID))}
    rates: dict[int, dict[str, float]] = {i: {} for i in range(len(GRID))}
    for i, settings in enumerate(GRID):
        for name in SYSTEMS:
            scores[i][name], rates[i][name] = timed_accuracy(vigil_groups(settings), messages[name],
                                                             truth[name], name)
    chosen = leave_one_out(scores)
    best = max(scores, key=lambda i: (statistics.fmean(scores[i].values()), -i))
    peers: dict[str, dict[str, tuple[float, float]]] = {}
    if not args.no_peers:
        import drain3
        import logparser.Drain.Drain  # imported before the clock starts (logparser pulls in pandas)

        del drain3, logparser
        for label, run in (("drain3", drain3_groups), ("Drain", logpai_groups)):
            peers[label] = {n: timed_accuracy(run, messages[n], truth[n], n) for n in SYSTEMS}
    _report(chosen, best, scores, rates, peers)
    return 0


def _describe(s: MinerSettings) -> str:
    return (f"sim {s.similarity} depth {s.depth}{' split:' if s.split_colon else ''}"
            f"{' skip-shared' if s.skip_shared_values else ''}")


def _report(chosen: dict[str, int], best: int, scores: dict[int, dict[str, float]],
            rates: dict[int, dict[str, float]], peers: dict[str, dict[str, tuple[float, float]]]) -> None:
    head = f"{'system':10} {'held-out':>8} {'setting chosen on the other 9':30} {'in-sample':>9}"
    head += "".join(f" {p:>7}" for p in peers)
    head += f" {'vigil l/s':>9}" + "".join(f" {p + ' l/s':>11}" for p in peers)
    print(head)
    for name in SYSTEMS:
        row = (f"{name:10} {scores[chosen[name]][name]:>8.3f} {_describe(GRID[chosen[name]]):30} "
               f"{scores[best][name]:>9.3f}")
        row += "".join(f" {peers[p][name][0]:>7.3f}" for p in peers)
        row += f" {rates[best][name]:>9,.0f}" + "".join(f" {peers[p][name][1]:>11,.0f}" for p in peers)
        print(row)
    held = statistics.fmean(scores[chosen[n]][n] for n in SYSTEMS)
    row = f"{'mean':10} {held:>8.3f} {'':30} {statistics.fmean(scores[best].values()):>9.3f}"
    row += "".join(f" {statistics.fmean(a for a, _ in peers[p].values()):>7.3f}" for p in peers)
    print(row)
    print(f"in-sample setting (best on all ten): {_describe(GRID[best])}; vigil "
          f"{1e6 / statistics.fmean(rates[best].values()):.1f} µs/line")


if __name__ == "__main__":
    sys.exit(main())
