"""Plans are parsed once per snapshot for the whole process, whichever layer asks (vigil.plan.cache)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_text import plan_header
from vigil.clock import ManualClock
from vigil.flows.watch_loop import watch
from vigil.plan import loader, parse_plan
from vigil.plan.cache import clear_plan_cache, snapshot_plan
from vigil.releases.service import create_release
from vigil.store import Store

START = datetime(2026, 11, 24, 9, tzinfo=UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def yaml_parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How often each text went through the plan loader's YAML parser, from an empty cache on."""
    counts: Counter[str] = Counter()
    real = loader.parse_yaml

    def counting(text: str, name: str) -> Any:
        counts[text] += 1
        return real(text, name)

    clear_plan_cache()
    monkeypatch.setattr(loader, "parse_yaml", counting)
    yield counts
    clear_plan_cache()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=30))
def test_any_sequence_of_lookups_parses_each_snapshot_once(lookups: list[int]) -> None:
    texts = [plan_header(START, version=str(v)) for v in range(5)]
    clear_plan_cache()
    fetched: Counter[int] = Counter()

    def source(i: int) -> tuple[str, str]:
        fetched[i] += 1
        return texts[i], f"plan-{i}.yaml"

    for i in lookups:
        plan = snapshot_plan(sha(texts[i]), lambda i=i: source(i))  # type: ignore[misc]
        assert plan == parse_plan(texts[i])
    assert fetched == Counter(set(lookups))


def test_a_text_that_does_not_match_its_hash_is_never_cached_under_that_hash() -> None:
    clear_plan_cache()
    real, forged = plan_header(START, version="1"), plan_header(START, version="2")
    assert snapshot_plan(sha(real), lambda: (real, "p")).release.version == "1"
    # A snapshot row whose text was changed under its stored hash: the plan returned is the text's own.
    assert snapshot_plan("0" * 64, lambda: (forged, "p")).release.version == "2"
    assert snapshot_plan("0" * 64, lambda: (forged, "p")).release.version == "2"
    assert snapshot_plan(sha(real), lambda: (forged, "p")).release.version == "1"  # the real one, cached


def test_one_watch_parses_each_plan_snapshot_once(store: Store, demo_plan_text: str, tmp_path: Path,
                                                  yaml_parses: Counter[str]) -> None:
    from vigil.reports.monitoring_log import render_monitoring_log

    healthy = demo_plan_text.replace("magnitude: 5.5", "magnitude: 0.001")
    plan = parse_plan(demo_plan_text)
    slugs = []
    for slug, text in (("leaky", demo_plan_text), ("healthy", healthy), ("leaky-again", demo_plan_text)):
        slugs.append(create_release(store, parse_plan(text), text, "plan.yaml", now=plan.release.date,
                                    slug=slug).slug)
    clear_plan_cache()
    yaml_parses.clear()
    clock = ManualClock(plan.release.date)
    watch(store, clock, slugs)
    for slug in slugs:  # the report layer reads the same snapshots
        render_monitoring_log(store, slug, clock.now())
    plan_parses = {text: n for text, n in yaml_parses.items() if text in (demo_plan_text, healthy)}
    assert plan_parses == {demo_plan_text: 1, healthy: 1}
