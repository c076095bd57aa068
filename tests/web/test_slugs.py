"""Release slugs: a documented character set, never all digits, so every reference means one release."""

from __future__ import annotations

import re
import string

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.plan import parse_plan
from vigil.releases.service import InvalidSlug, check_slug, create_release, slug_for
from web_fixtures import NOW, World, bearer, demo_text

RULE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
SLUG_CHARS = string.ascii_lowercase + string.digits + "._-/ ÄŁ١" + string.ascii_uppercase


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=SLUG_CHARS, max_size=90))
def test_a_slug_is_accepted_exactly_when_it_follows_the_rule(slug: str) -> None:
    if RULE.fullmatch(slug) and not slug.isdigit():
        assert check_slug(slug) == slug
    else:
        with pytest.raises(InvalidSlug, match="not allowed: use lower-case letters"):
            check_slug(slug)


@settings(max_examples=200, deadline=None)
@given(service=st.text(min_size=1, max_size=60), version=st.text(min_size=1, max_size=60))
def test_a_derived_slug_always_follows_the_rule(service: str, version: str) -> None:
    class _Info:
        pass

    class _Plan:
        release = _Info()

    plan = _Plan()
    plan.release.service, plan.release.version = service, version  # type: ignore[attr-defined]
    assert check_slug(slug_for(plan))  # type: ignore[arg-type]


@pytest.mark.parametrize("slug", ["1", "42", "a/b", "Checkout", "-x", ".hidden", "x" * 81, "a b", "١٢"])
def test_creating_a_release_with_a_bad_slug_stores_nothing(world: World, slug: str) -> None:
    text = demo_text()
    with world.store.read() as s:
        from vigil.releases.models import Release

        before = s.query(Release).count()
    with pytest.raises(InvalidSlug):
        create_release(world.store, parse_plan(text, "p.yaml"), text, "p.yaml", now=NOW, slug=slug)
    with world.store.read() as s:
        assert s.query(Release).count() == before


def test_numbers_and_slugs_each_open_their_own_release(world: World, client: TestClient) -> None:
    text = demo_text()
    second = create_release(world.store, parse_plan(text, "p.yaml"), text, "p.yaml", now=NOW, slug="1.0")
    by_number = client.get("/api/v1/releases/1", headers=bearer(world.viewer))
    assert by_number.status_code == 200 and by_number.json()["slug"] != "1.0"
    assert client.get("/api/v1/releases/1.0", headers=bearer(world.owner)).json()["slug"] == "1.0"
    assert client.get(f"/api/v1/releases/{second.id}", headers=bearer(world.owner)).json()["slug"] == "1.0"
    assert client.get("/api/v1/releases/%D9%A1", headers=bearer(world.owner)).status_code == 404  # Arabic-Indic 1
