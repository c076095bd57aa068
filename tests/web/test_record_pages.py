"""The incident, alerts, action-item and traceability pages show what the store holds, escaped."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from vigil.incidents.service import update_details
from vigil.retro.actions import add_action
from web_fixtures import DEMO, World, sign_in


def test_incident_page_shows_its_timeline_alerts_and_rca_state(client: TestClient, world: World) -> None:
    sign_in(client, world.viewer)
    release_page = client.get(f"/releases/{DEMO}").text
    assert 'href="/incidents/INC-00001"' in release_page  # the dashboard links to the incident
    page = client.get("/incidents/INC-00001")
    assert page.status_code == 200
    assert "INC-00001" in page.text and "critical" in page.text and "major" in page.text
    assert "memory-leak" in page.text  # the alert that opened it
    assert "cannot be closed until its root-cause analysis is recorded" in page.text
    assert client.get("/incidents/INC-09999").status_code == 404


def test_user_text_is_escaped_on_the_incident_page(client: TestClient, world: World) -> None:
    with world.store.write() as session:
        update_details(session, "INC-00001", actor="Ravi Menon", now=world.clock.now(),
                       description='<script>alert("x")</script>')
    sign_in(client, world.viewer)
    text = client.get("/incidents/INC-00001").text
    assert '<script>alert("x")</script>' not in text and "&lt;script&gt;" in text


def test_alerts_actions_and_trace_pages(client: TestClient, world: World) -> None:
    add_action(world.store, DEMO, title="Add a heap-slope alert", assignee="Sam Okafor",
               due_at=world.clock.now() - timedelta(days=1), source="incident:1", actor="Ravi Menon",
               now=world.clock.now() - timedelta(days=8))
    sign_in(client, world.viewer)
    alerts = client.get(f"/releases/{DEMO}/alerts").text
    assert "memory-leak" in alerts and 'href="/incidents/INC-00001"' in alerts
    actions = client.get(f"/releases/{DEMO}/actions").text
    assert "Add a heap-slope alert" in actions and "(overdue)" in actions
    trace = client.get(f"/releases/{DEMO}/trace").text
    for requirement in ("REQ-28", "REQ-29", "REQ-30", "PM-28", "PM-29", "PM-30", "DEP-02", "DEP-03", "OPS-01",
                        "OPS-02", "OPS-03", "AUD-03"):
        assert f"<td>{requirement}</td>" in trace
    assert "INC-00001 is open, not resolved" in trace


def test_record_pages_need_a_token(client: TestClient) -> None:
    for path in ("/incidents/INC-00001", f"/releases/{DEMO}/alerts", f"/releases/{DEMO}/trace"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
