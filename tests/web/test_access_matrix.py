"""Every API route and page × every kind of caller, reads included (docs/web.md, "Who reads what").

Release A is the watched demo; release B another release with other people. Callers: nobody signed in,
a person with no role, the viewer of A, the viewer of B, A's Monitoring Owner, and an auditor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from vigil.access.service import add_user, create_token
from vigil.incidents.models import Incident
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.web import routers
from vigil.web.app import create_app
from web_fixtures import DEMO, NOW, World, bearer, demo_text

A, B = DEMO, "other-1.0"
CALLERS = ["anonymous", "no_role", "viewer_a", "viewer_b", "monitor_a", "auditor"]
READS_A = {"viewer_a", "monitor_a", "auditor"}
READS_B = {"viewer_b", "auditor"}


@dataclass
class Setup:
    client: TestClient
    tokens: dict[str, str]
    ticket: str


@pytest.fixture
def setup(world: World) -> Iterator[Setup]:
    text = demo_text()
    for old, new in [("Ana Costa", "Bo Owner"), ("Ravi Menon", "Bo Monitor"), ("Jo Berg", "Bo Service"),
                     ("Mei Tan", "Bo Sponsor"), ("Sam Okafor", "Bo Part")]:
        text = text.replace(old, new)
    create_release(world.store, parse_plan(text, "b.yaml"), text, "b.yaml", now=NOW, slug=B)
    add_user(world.store, "Nora None", NOW)
    add_user(world.store, "Bea Viewer", NOW, role="viewer", release=B)
    add_user(world.store, "Aude Itor", NOW, role="auditor")
    tokens = {
        "no_role": create_token(world.store, "Nora None", NOW)[1],
        "viewer_a": world.viewer,
        "viewer_b": create_token(world.store, "Bea Viewer", NOW)[1],
        "monitor_a": world.monitor,
        "auditor": create_token(world.store, "Aude Itor", NOW)[1],
    }
    with world.store.read() as s:
        ticket = s.scalars(select(Incident.ticket)).first()
    assert ticket is not None
    with TestClient(create_app(world.store, clock=world.clock)) as client:
        yield Setup(client, tokens, ticket)


def _reads(slug: str) -> list[tuple[str, str]]:
    """(route template, URL) of every read about one release."""
    return [
        ("/api/v1/releases/{ref}", f"/api/v1/releases/{slug}"),
        ("/api/v1/releases/{ref}/checkpoints", f"/api/v1/releases/{slug}/checkpoints"),
        ("/api/v1/releases/{ref}/checkpoints/{name}", f"/api/v1/releases/{slug}/checkpoints/T+0"),
        ("/api/v1/releases/{ref}/charts", f"/api/v1/releases/{slug}/charts"),
        ("/api/v1/releases/{ref}/rollback", f"/api/v1/releases/{slug}/rollback"),
        ("/api/v1/releases/{ref}/dashboard-usage", f"/api/v1/releases/{slug}/dashboard-usage"),
        ("/releases/{ref}", f"/releases/{slug}"),
        ("/releases/{ref}/dashboards/{group}", f"/releases/{slug}/dashboards/business"),
        ("/releases/{ref}/live", f"/releases/{slug}/live?v=none"),
        ("/releases/{ref}/alerts", f"/releases/{slug}/alerts"),
        ("/releases/{ref}/actions", f"/releases/{slug}/actions"),
        ("/releases/{ref}/trace", f"/releases/{slug}/trace"),
    ]


WRITES = [  # (route template, URL, JSON body, who may: status)
    ("/api/v1/releases/{ref}/checkpoints/{name}/acknowledge", f"/api/v1/releases/{A}/checkpoints/T+2h/acknowledge",
     {"note": "seen"}, {"monitor_a": 201}),
    ("/api/v1/releases/{ref}/rollback", f"/api/v1/releases/{A}/rollback", None, {}),  # Release Owner only
    ("/api/v1/releases/{ref}/checkpoints/{name}/evaluate", f"/api/v1/releases/{A}/checkpoints/T+0/evaluate",
     None, {"monitor_a": 200}),  # already stored: returned as it is
]
PAGE_WRITES = [  # the forms: a redirect back to the release when done, to the sign-in page without one
    ("/releases/{ref}/checkpoints/{name}/acknowledge", f"/releases/{A}/checkpoints/T%2B2h/acknowledge",
     {"monitor_a"}),
    ("/releases/{ref}/rollback", f"/releases/{A}/rollback", set()),
]
# Sign-in, and the reads tested on their own below (the overview, who am I, an incident).
OUTSIDE = {"/login", "/logout", "/", "/api/v1/releases", "/api/v1/me", "/incidents/{ticket}"}


def _expected_read(caller: str, readers: set[str], api: bool) -> int:
    if caller == "anonymous":
        return 401 if api else 303
    return 200 if caller in readers else 403


def _headers(setup: Setup, caller: str) -> dict[str, str]:
    return bearer(setup.tokens[caller]) if caller != "anonymous" else {}


def test_the_table_covers_every_route() -> None:
    covered = {t for t, _ in _reads(A)} | {w[0] for w in WRITES} | {w[0] for w in PAGE_WRITES} | OUTSIDE
    served = {route.path for router in routers.routers() for route in router.routes}  # type: ignore[attr-defined]
    assert served - covered == set(), "a route is missing from the access table"


@pytest.mark.parametrize("caller", CALLERS)
def test_reads_of_one_release_follow_the_model(setup: Setup, caller: str) -> None:
    for slug, readers in ((A, READS_A), (B, READS_B)):
        for template, url in _reads(slug):
            response = setup.client.get(url, headers=_headers(setup, caller), follow_redirects=False)
            expected = _expected_read(caller, readers, template.startswith("/api/"))
            assert response.status_code == expected, f"{caller} GET {url}: {response.status_code}"
            if expected == 403:
                assert "hold no role on this release" in response.text
    incident = setup.client.get(f"/incidents/{setup.ticket}", headers=_headers(setup, caller), follow_redirects=False)
    assert incident.status_code == _expected_read(caller, READS_A, api=False)


@pytest.mark.parametrize("caller", CALLERS)
def test_the_overview_lists_only_readable_releases(setup: Setup, caller: str) -> None:
    listing = setup.client.get("/api/v1/releases", headers=_headers(setup, caller))
    page = setup.client.get("/", headers=_headers(setup, caller), follow_redirects=False)
    if caller == "anonymous":
        assert (listing.status_code, page.status_code) == (401, 303)
        return
    readable = {s for s, readers in ((A, READS_A), (B, READS_B)) if caller in readers}
    body = listing.json()
    assert {r["slug"] for r in body["releases"]} == readable and body["total"] == len(readable)
    assert page.status_code == 200
    assert {s for s in (A, B) if f'data-release="{s}"' in page.text} == readable
    assert setup.client.get("/api/v1/me", headers=_headers(setup, caller)).status_code == 200


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("template", "url", "body", "allowed"), WRITES, ids=[w[0] for w in WRITES])
def test_writes_follow_the_roles(setup: Setup, caller: str, template: str, url: str, body: object,
                                 allowed: dict[str, int]) -> None:
    response = setup.client.post(url, headers=_headers(setup, caller), json=body)
    expected = 401 if caller == "anonymous" else allowed.get(caller, 403)
    assert response.status_code == expected, f"{caller} POST {url}: {response.status_code} {response.text}"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("template", "url", "allowed"), PAGE_WRITES, ids=[w[0] for w in PAGE_WRITES])
def test_form_writes_follow_the_roles(setup: Setup, caller: str, template: str, url: str, allowed: set[str]) -> None:
    form = {"csrf_token": "unused-with-bearer", "note": "seen"}  # a bearer request is not CSRF-able
    response = setup.client.post(url, headers=_headers(setup, caller), data=form, follow_redirects=False)
    if caller == "anonymous":
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    elif caller in allowed:
        assert response.status_code == 303 and response.headers["location"].startswith(f"/releases/{A}?done=")
    else:
        assert response.status_code == 403, f"{caller} POST {url}: {response.status_code}"


def test_public_read_lets_everyone_read_and_still_nobody_write(world: World) -> None:
    with TestClient(create_app(world.store, clock=world.clock, public_read=True)) as client:
        assert client.get(f"/api/v1/releases/{A}").status_code == 200
        assert client.post(WRITES[0][1], json={"note": "x"}).status_code == 401
