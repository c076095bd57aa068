"""A manual rollback is accepted once: of requests at the same moment one gets 202, the rest 409, and the
page stops offering the button as soon as one is accepted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import select

from vigil.errors import Conflict
from vigil.store.audit import AuditEntry
from vigil.watch.rollback import manual_rollback_for
from vigil.web.app import create_app
from web_fixtures import World, bearer, demo_text, register_and_watch, sign_in

BUTTON = 'id="execute-rollback"'


def _manual_release(world: World, slug: str) -> None:
    manual = demo_text().replace("  automatic: true", "  automatic: false").replace("seed: 42", "seed: 44")
    register_and_watch(world.store, manual, slug)


def test_of_eight_requests_at_once_exactly_one_is_accepted(world: World) -> None:
    _manual_release(world, "manual")
    now = world.clock.now()

    def attempt(_: int) -> str:
        try:
            manual_rollback_for(world.store, "manual", "Ana Costa", now)
            return "accepted"
        except Conflict as exc:
            return str(exc)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(attempt, range(8)))
    assert answers.count("accepted") == 1
    assert sorted(set(answers) - {"accepted"}) == ["this release's rollback is already being carried out"]
    with world.store.read() as s:
        requested = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "rollback.requested")))
    assert [(e.actor, e.release_id is not None) for e in requested] == [("Ana Costa", True)]

    # While the accepted one is running: the API answers 409, and the page shows no button.
    with TestClient(create_app(world.store, clock=world.clock)) as client:
        assert client.post("/api/v1/releases/manual/rollback", headers=bearer(world.owner)).status_code == 409
        sign_in(client, world.owner)
        page = client.get("/releases/manual").text
        assert BUTTON not in page and "Being carried out." in page


def test_after_execute_rollback_now_the_page_shows_the_new_state(world: World) -> None:
    _manual_release(world, "manual")
    with TestClient(create_app(world.store, clock=world.clock)) as client:
        csrf = sign_in(client, world.owner)
        assert BUTTON in client.get("/releases/manual").text
        response = client.post("/releases/manual/rollback", data={"csrf_token": csrf}, follow_redirects=True)
        assert response.status_code == 200 and BUTTON not in response.text
        again = client.post("/releases/manual/rollback", data={"csrf_token": csrf}, follow_redirects=False)
        assert again.status_code == 409
