"""The XSS payload set in every user-text field the pages render: release name, incident title,
description and impacts, a sign-off note, an action item's title and assignee. Nothing becomes markup."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from vigil.incidents.models import Incident
from vigil.incidents.service import open_incident
from vigil.releases.models import Release
from vigil.retro.actions import add_action
from vigil.signoffs.service import acknowledge_checkpoint
from web_fixtures import NOW, World, demo_text, register_and_watch, sign_in
from xss_payloads import PAYLOADS, active_content

EVIL = " ".join(PAYLOADS)


def test_no_payload_becomes_markup_on_any_page(world: World, client: TestClient) -> None:
    text = demo_text().replace("Checkout v2.3 — one-click payment", EVIL.replace('"', "'")[:400]).replace(
        "seed: 42", "seed: 43")
    register_and_watch(world.store, text, "evil")
    with world.store.write() as s:
        release_id = s.scalar(select(Release.id).where(Release.slug == "evil"))
        open_incident(s, release_id=release_id, title=EVIL, severity="high", actor="Ana Costa", now=NOW,
                      description=EVIL, user_impact=EVIL, business_impact=EVIL)
    acknowledge_checkpoint(world.store, "evil", "T+0", "Ana Costa", NOW, note=EVIL[:2000])
    add_action(world.store, "evil", title=EVIL[:200], assignee=PAYLOADS[2], due_at=NOW + timedelta(days=1),
               source="", actor="Ana Costa", now=NOW)
    with world.store.read() as s:
        ticket = s.scalars(select(Incident.ticket).where(Incident.title == EVIL)).one()
    sign_in(client, world.owner)
    for url in ["/", "/releases/evil", "/releases/evil/dashboards/business", "/releases/evil/live?v=x",
                "/releases/evil/alerts", "/releases/evil/actions", "/releases/evil/trace", f"/incidents/{ticket}"]:
        page = client.get(url)
        assert page.status_code == 200, url
        # The pages have their own <div>s and <details>; an injected one would still show its handler.
        assert active_content(page.text, own_scripts=True, allow=frozenset({"div", "details"})) == [], url
        if url != "/releases/evil/trace":
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, url  # shown, as text
