"""The template miner: Drain's similarity rules over generated messages, and accuracy on loghub samples.

The samples come from the ``loghub`` fixture (the vendored copies in tests/data/loghub, with loghub's
LICENSE and CITATION); the floors sit a little under what the shipped setting measures there.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.logs.miner import MinerSettings, TemplateMiner, grouping_accuracy, mask_token

FLOORS = {"HDFS": 0.99, "HealthApp": 0.99, "OpenSSH": 0.98}

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)
# Words with a letter that is no hex digit ("aaa10000" is a hex id, rightly masked).
names = st.text(alphabet="ghijklmnopqrstuvwxyz", min_size=2, max_size=9)
numbers = st.integers(min_value=0, max_value=10**9).map(str)


@pytest.mark.parametrize("system", sorted(FLOORS))
def test_grouping_accuracy_on_loghub_samples(loghub: Path, system: str) -> None:
    with (loghub / system / f"{system}_2k.log_structured.csv").open(encoding="utf-8", errors="replace") as fh:
        rows = list(csv.DictReader(fh))
    miner = TemplateMiner()
    predicted = [miner.add(r["Content"]).id for r in rows]
    assert len(rows) == 2000
    assert grouping_accuracy(predicted, [r["EventId"] for r in rows]) >= FLOORS[system]


def test_grouping_accuracy_counts_only_exact_groups() -> None:
    assert grouping_accuracy([1, 1, 2, 3], ["a", "a", "b", "b"]) == 0.5  # b split in two: both lines wrong
    assert grouping_accuracy([1, 1, 1], ["a", "a", "b"]) == 0.0


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=4, unique=True), st.integers(1, 8), words, words,
       st.lists(numbers, min_size=32, max_size=32))
def test_events_differing_in_a_final_word_do_not_merge_through_shared_values(
        shared: list[str], n_values: int, last_a: str, last_b: str, values: list[str]) -> None:
    """Masked values are no evidence of sameness: however many there are, two events whose constant
    words agree less than the threshold stay apart (Drain's simSeq, where <*> matches nothing)."""
    if last_a == last_b or last_a in shared or last_b in shared:
        return
    similarity = MinerSettings().similarity
    if len(shared) / (len(shared) + 1) >= similarity:
        return  # this many shared words are similar enough by Drain's own rule
    miner = TemplateMiner()
    a = [miner.add(" ".join([*shared, *values[i:i + n_values], last_a])).id for i in (0, 8)]
    b = [miner.add(" ".join([*shared, *values[i:i + n_values], last_b])).id for i in (16, 24)]
    assert a[0] == a[1] and b[0] == b[1]
    assert a[0] != b[0]


@given(names, st.integers(0, 10**6))
def test_a_number_inside_a_token_is_not_masked(word: str, number: int) -> None:
    assert mask_token(f"{word}{number}") == f"{word}{number}"
    assert mask_token(f"{word}_{number}") == f"{word}_{number}"
    assert mask_token(str(number)) == "<*>"
    assert mask_token(f"[{number}]") == "<*>"


@given(st.ip_addresses(v=4).map(str), st.integers(1, 65535), st.uuids().map(str),
       st.integers(0, 2**64).map(lambda v: f"0x{v:x}"), st.lists(words, min_size=1, max_size=4))
def test_whole_values_are_masked(ip: str, port: int, uuid: str, hex_id: str, parts: list[str]) -> None:
    for value in (ip, f"{ip}:{port}", uuid, hex_id, "/" + "/".join(parts), f"https://{'.'.join(parts)}/x"):
        assert mask_token(value) == "<*>", value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(words, words, st.sampled_from(["com", "net", "org"])), min_size=2, max_size=12,
                unique=True), words, words)
def test_host_names_are_not_tree_keys(hosts: list[tuple[str, str, str]], verb: str, noun: str) -> None:
    """Lines that differ only in the host name they start with are one event, whatever the host."""
    miner = TemplateMiner()
    ids = {miner.add(f"{'.'.join(h)} {verb} {noun} ok").id for h in hosts}
    assert len(ids) == 1


@settings(max_examples=100, deadline=None)
@given(words, words, words, st.lists(st.lists(numbers, min_size=1, max_size=6), min_size=2, max_size=6))
def test_an_event_whose_lines_differ_in_length_is_joined(head: str, verb: str, tail: str,
                                                         runs: list[list[str]]) -> None:
    """A variable run of values of any length (a list of ids) joins the lines into one template."""
    miner = TemplateMiner()
    ids = {miner.add(f"{head} {verb} {tail} {' '.join(f'blk_{v}' for v in run)}").id for run in runs}
    assert len(ids) == 1


def test_lines_differing_in_length_by_words_stay_apart() -> None:
    miner = TemplateMiner()
    a = miner.add("Failed password for root from 10.0.0.1 port 22 ssh2")
    b = miner.add("Failed password for invalid user admin from 10.0.0.2 port 23 ssh2")
    assert a.id != b.id


def test_miner_generalises_variables_and_keeps_ids() -> None:
    miner = TemplateMiner()
    a = miner.add("Connection from 10.0.0.1 closed after 12 ms")
    b = miner.add("Connection from 10.0.0.7 closed after 900 ms")
    c = miner.add("Disk /dev/sda1 is full")
    assert a.id == b.id != c.id
    assert a.text == "Connection from <*> closed after <*> ms"
