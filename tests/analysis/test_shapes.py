"""The memory of shapes, against a brute-force reference, and the detector's familiar-record check."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from vigil.analysis.anomaly import DetectorSettings, SeasonalDetector
from vigil.analysis.shapes import ShapeMemory

THRESHOLD = 0.9995


def brute_force_novelty(seen: list[float], block: int, length: int, capacity: int) -> float:
    """Novelty of the shape ending at the newest value, from the whole history, the slow and obvious way."""
    current = (len(seen) - 1) // block  # the block the newest value is in (it may be partly filled)

    def shape(last_block: int) -> np.ndarray:
        first = last_block - length + 1
        blocks = [seen[b * block : min((b + 1) * block, len(seen))] for b in range(first, last_block + 1)]
        return np.array([min(b) for b in blocks] + [max(b) for b in blocks])

    closed_ends = list(range(length - 1, current))  # shapes whose blocks are all closed
    stored = closed_ends[-capacity:]
    comparable = [end for end in stored if end <= current - 1 - length]  # the newest ``length`` overlap
    span = max(seen) - min(seen)
    if len(stored) <= length or not comparable or span <= 0:
        return float("inf")
    now = shape(current)
    return min(float(np.abs(shape(end) - now).max()) for end in comparable) / span


@given(
    st.lists(st.integers(-50, 50).map(float), min_size=1, max_size=120),
    st.integers(1, 4),
    st.integers(2, 4),
    st.integers(5, 40),
)
def test_novelty_matches_a_brute_force_search_over_every_stored_shape(
    values: list[float], block: int, length: int, capacity: int
) -> None:
    memory = ShapeMemory(block, length, capacity)
    for i, value in enumerate(values):
        memory.observe(value)
        expected = brute_force_novelty(values[: i + 1], block, length, capacity)
        assert memory.novelty() == expected or np.isclose(memory.novelty(), expected)


def test_a_repeated_pattern_is_familiar_and_a_new_one_is_not() -> None:
    pattern = [0.0, 0.0, 10.0, 3.0, 0.0, 0.0] * 4  # a spike every six values
    memory = ShapeMemory(block=2, length=3, capacity=100)
    for value in pattern * 5:
        memory.observe(value)
    assert memory.novelty() == 0.0
    for value in (0.0, 0.0, 20.0):  # twice as high as any spike before
        memory.observe(value)
    # The nearest stored shape ends in a spike block (min 3, max 10): 17 apart on the minima, range 20.
    assert np.isclose(memory.novelty(), 17 / 20)


def dips(depths: dict[int, float], shape: np.ndarray) -> np.ndarray:
    """Noise around 100 with the ``shape`` (scaled by depth) subtracted at each start."""
    values = np.random.default_rng(11).normal(100.0, 0.2, 4000)
    for start, depth in depths.items():
        values[start : start + shape.size] -= depth * shape
    return values


V_DIP = np.array([0.3, 0.7, 1.0, 0.7, 0.3])


def score_at(values: np.ndarray, at: int, settings: DetectorSettings) -> float:
    detector = SeasonalDetector(settings)
    return max([detector.update(float(v)) for v in values][at : at + V_DIP.size])


def test_a_dip_like_one_seen_before_is_familiar_though_it_sets_a_record() -> None:
    # The first dip has left the rank history (1,000 scores) by the second, so the second, a little
    # deeper, is a record of the spread view; its shape is the first one's to within 5 % of the range.
    # Shapes are compared block by block (6 values), so both dips start at the same place in a block,
    # as events on a schedule that is a multiple of the block would.
    # The shape categories judge shapes on their own (a shape seen once is one category of one), so they
    # are off here: this is the spread view's record and the memory's verdict on it.
    values = dips({1205: 12.0, 2609: 12.4}, V_DIP)
    plain = DetectorSettings(range_window=0, shape_tolerance=0.0, categories=None)
    assert score_at(values, 2609, plain) >= THRESHOLD
    assert score_at(values, 2609, DetectorSettings(range_window=0, categories=None)) < THRESHOLD


def test_a_record_with_a_shape_never_seen_is_still_flagged() -> None:
    values = dips({1205: 12.0, 2609: -12.4}, V_DIP)  # the second is a spike up: the stream never drew one
    assert score_at(values, 2609, DetectorSettings(range_window=0, categories=None)) >= THRESHOLD
