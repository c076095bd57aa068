"""Only the Post-Release step's governance IDs are accepted wherever an ID is given (seen: REQ-99 was
accepted as evidence). Checked over generated IDs, at every entry point: the archive, adding a file,
listing by ID, and the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from governance_fixtures import make_release
from vigil.evidence.models import EvidenceItem
from vigil.evidence.requirement_ids import REQUIREMENT_IDS, UnknownRequirement, requirement_id, requirement_ids
from vigil.evidence.service import add_file, items_for
from vigil.governance.requirements import _checks

SEED_IDS = {"REQ-28", "REQ-29", "REQ-30", "PM-28", "PM-29", "PM-30", "DEP-02", "DEP-03", "OPS-01", "OPS-02",
            "OPS-03", "AUD-03"}  # seed 002's list, typed from the seed


def test_the_known_ids_are_the_seed_ids_and_each_has_a_check():
    assert set(REQUIREMENT_IDS) == SEED_IDS
    assert list(_checks()) == list(REQUIREMENT_IDS)


ids_like = st.from_regex(re.compile(r"\s?[A-Za-z]{2,4}-[0-9]{1,3}\s?"), fullmatch=True)


@given(ids_like)
@settings(max_examples=300)
def test_an_id_is_accepted_exactly_when_it_is_a_seed_id(text: str):
    if text.strip().upper() in SEED_IDS:
        assert requirement_id(text) == text.strip().upper()
    else:
        with pytest.raises(UnknownRequirement, match=r"unknown requirement ID .* REQ-28, REQ-29"):
            requirement_id(text)


@given(st.lists(st.sampled_from(sorted(SEED_IDS)), max_size=5), st.lists(ids_like, max_size=3))
def test_a_list_is_refused_whole_if_one_id_is_unknown(good: list[str], others: list[str]):
    unknown = [o for o in others if o.strip().upper() not in SEED_IDS]
    if unknown:
        with pytest.raises(UnknownRequirement):
            requirement_ids(good + others)
    else:
        assert requirement_ids(good + others) == sorted({g for g in good + [o.strip().upper() for o in others]})


@pytest.mark.parametrize("bad", ["REQ-99", "req-31", "PM-2", "XYZ"])
def test_every_entry_point_refuses_an_unknown_id_and_stores_nothing(store, root, clock, tmp_path: Path, bad,
                                                                    vigil_cli):
    release = make_release(store, clock.now())
    f = tmp_path / "dash.txt"
    f.write_text("dashboard export\n")
    with pytest.raises(UnknownRequirement, match=f"'{bad}'"):
        add_file(store, root, release.slug, f, kind="dashboard", requirement_ids=["REQ-28", bad],
                 actor="Ravi Menon", now=clock.now())
    with store.read() as s, pytest.raises(UnknownRequirement):
        items_for(s, release.id, requirement=bad)
    code, out = vigil_cli("evidence", "add", release.slug, str(f), "--kind", "dashboard", "--req", bad,
                          "--as", "Ravi Menon", "--db", store.url)
    assert code != 0 and "unknown requirement ID" in out
    with store.read() as s:
        assert s.scalar(select(func.count(EvidenceItem.id))) == 0
    add_file(store, root, release.slug, f, kind="dashboard", requirement_ids=[" req-28 "], actor="Ravi Menon",
             now=clock.now())
    with store.read() as s:
        assert [i.requirement_ids for i in items_for(s, release.id, requirement="req-28")] == [["REQ-28"]]
