"""The pages: sign-in, CSRF, escaping, the live fragment, dashboard usage in the log, Grafana export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from vigil.cli.app import root
from vigil.plan import parse_plan
from vigil.releases.service import create_release
from vigil.reports.monitoring_log import render_monitoring_log
from vigil.store.audit import AuditEntry
from vigil.web.charts import ChartSet
from web_fixtures import DEMO, NOW, World, csrf_of, demo_text, register_and_watch, sign_in


def test_pages_send_strangers_to_the_login_page(client: TestClient) -> None:
    response = client.get(f"/releases/{DEMO}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/releases/{DEMO}"


def test_login_rejects_a_bad_token_and_a_missing_csrf_token(client: TestClient, world: World) -> None:
    form = client.get("/login")
    bad = client.post("/login", data={"token": "vgl_wrong", "csrf_token": csrf_of(form.text)})
    assert bad.status_code == 401 and "unknown or revoked" in bad.text
    forged = client.post(
        "/login", data={"token": world.owner, "csrf_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303  # still signed out


def test_forms_without_the_session_csrf_token_are_refused(client: TestClient, world: World) -> None:
    token = sign_in(client, world.owner)
    url = f"/releases/{DEMO}/checkpoints/T+1h/acknowledge"
    refused = client.post(url, data={"csrf_token": "not-this-sessions", "note": ""}, follow_redirects=False)
    assert refused.status_code == 403 and "security token" in refused.text
    accepted = client.post(url, data={"csrf_token": token, "note": "seen"}, follow_redirects=False)
    assert accepted.status_code == 303
    assert "Acknowledged by Ana Costa" in client.get(f"/releases/{DEMO}").text


def test_the_release_page_shows_the_leak_the_rollback_and_the_reasons(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.owner)
    page = client.get(f"/releases/{DEMO}").text
    assert "Rollback at T+2h: completed" in page
    assert "leak suspected" in page
    assert page.count('<figure class="chart"') == 11
    assert "Acknowledge T+2h decision" in page
    charts_url = page.split('data-charts="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    charts = client.get(charts_url)
    assert charts.headers["cache-control"] == "private, max-age=86400"
    assert len(charts.json()) == 11 and charts.json()[5]["rollback"]["label"] == "rollback (completed)"
    assert "INC-00001" in page  # the incident the leak alert opened, on the release's own page
    assert 'hx-trigger="every 10s"' not in page  # finished releases do not poll


def test_a_viewer_sees_no_approve_button_and_gets_403_when_posting(client: TestClient, world: World) -> None:
    token = sign_in(client, world.viewer)
    page = client.get(f"/releases/{DEMO}").text
    assert "Acknowledge" not in page and "Your roles here: viewer" in page
    refused = client.post(f"/releases/{DEMO}/checkpoints/T+2h/acknowledge", data={"csrf_token": token})
    assert refused.status_code == 403 and "Not allowed" in refused.text


def test_user_text_is_escaped(world: World, client: TestClient) -> None:
    evil = (
        demo_text()
        .replace("Checkout v2.3 — one-click payment", "<script>alert(1)</script>")
        .replace("seed: 42", "seed: 43")
    )
    register_and_watch(world.store, evil, "evil")
    sign_in(client, world.owner)
    for page in (client.get("/").text, client.get("/releases/evil").text):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_chart_json_cannot_close_its_script_element() -> None:
    charts = ChartSet([{"label": "</script><script>alert(1)</script>", "group": "service"}])
    text = charts.html_json(None)
    assert "<" not in text and ">" not in text
    assert json.loads(text)[0]["label"] == "</script><script>alert(1)</script>"


def test_the_live_fragment_answers_204_until_something_changes(client: TestClient, world: World) -> None:
    sign_in(client, world.owner)
    first = client.get(f"/releases/{DEMO}/live?v=stale")
    assert first.status_code == 200 and 'id="live"' in first.text
    version = first.text.split('data-version="', 1)[1].split('"', 1)[0]
    assert client.get(f"/releases/{DEMO}/live?v={version}").status_code == 204


def test_dashboard_views_fill_the_logs_dashboard_usage(client: TestClient, world: World) -> None:
    sign_in(client, world.owner)
    client.get(f"/releases/{DEMO}")
    client.get(f"/releases/{DEMO}")
    client.get(f"/releases/{DEMO}/dashboards/business")
    client.get(f"/releases/{DEMO}/live?v=x")  # refreshes are not views
    client.app.state.vigil.usage.flush()  # type: ignore[attr-defined]
    log = render_monitoring_log(world.store, DEMO, NOW)
    assert "- **Primary Dashboard:** opened 2 times by Ana Costa (2); first 2026-11-25 13:00 CET" in log
    assert "- **Business Metrics:** opened 1 time by Ana Costa (1)" in log
    assert "- **Infrastructure Dashboard:** no dashboard views were recorded for this release" in log


def test_grafana_export_has_prometheus_panels_and_annotations(world: World, tmp_path: Path) -> None:
    text = demo_text().replace(
        "source:\n  kind: simulator",
        "sources:\n  - {name: prom, kind: prometheus, "
        "url: 'http://127.0.0.1:9090'}\nsource:\n  kind: simulator",
    )
    text = text.replace(
        "checkpoints: [",
        "metrics:\n  - {name: error_rate, source: prom, query: "
        "'sum(rate(http_errors_total[5m]))'}\n  - {name: memory_usage}\ncheckpoints: [",
    )
    plan = parse_plan(text, "prom.yaml")
    create_release(world.store, plan, text, "prom.yaml", now=NOW, slug="prom")
    runner = CliRunner()
    out = tmp_path / "prom.json"
    result = runner.invoke(
        root, ["dashboard", "export", "prom", "--grafana", "--out", str(out), "--db", world.store.url]
    )
    assert result.exit_code == 0, result.output
    dashboard = json.loads(out.read_text())
    (panel,) = dashboard["panels"]  # memory_usage reads the simulator: not a Grafana panel
    assert panel["targets"][0]["expr"] == "sum(rate(http_errors_total[5m]))"
    assert [s["value"] for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [
        None,
        pytest.approx(0.09),
        0.1,
    ]
    assert {a["target"]["tags"][-1] for a in dashboard["annotations"]["list"]} == {"checkpoint", "rollback"}

    demo_out = tmp_path / "demo.json"
    result = runner.invoke(
        root, ["dashboard", "export", DEMO, "--grafana", "--out", str(demo_out), "--db", world.store.url]
    )
    assert result.exit_code == 0, result.output
    demo = json.loads(demo_out.read_text())
    notes = json.loads((tmp_path / "demo.annotations.json").read_text())
    assert {n["dashboardUID"] for n in notes} == {demo["uid"]}
    assert sum("checkpoint" in n["tags"] for n in notes) == 8
    (rollback,) = [n for n in notes if "rollback" in n["tags"]]
    assert "leak suspected" in rollback["text"] and "completed" in rollback["tags"]


def test_user_cli_adds_a_viewer_and_prints_a_token_once(world: World) -> None:
    runner = CliRunner()
    added = runner.invoke(
        root,
        [
            "user",
            "add",
            "Pat Doe",
            "--email",
            "pat@example.com",
            "--role",
            "viewer",
            "--release",
            DEMO,
            "--db",
            world.store.url,
        ],
    )
    assert added.exit_code == 0, added.output
    made = runner.invoke(root, ["user", "token", "Pat Doe", "--db", world.store.url])
    plain = made.output.strip().splitlines()[-1]
    assert plain.startswith("vgl_")
    listed = runner.invoke(root, ["user", "list", "--db", world.store.url])
    assert "Pat Doe" in listed.output and plain not in listed.output
    with world.store.read() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"user.added", "role.granted", "token.created"} <= actions
    bad = runner.invoke(
        root, ["user", "add", "X", "--role", "boss", "--release", DEMO, "--db", world.store.url]
    )
    assert bad.exit_code != 0
