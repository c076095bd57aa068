"""Action items tracked to completion; REQ-30 is met only when each is done or carried over with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from vigil.errors import Conflict, PermissionDenied, VigilError
from vigil.governance.requirements import TraceContext, req_30
from vigil.releases.service import get_release, plan_of
from vigil.reports.monitoring_log import render_monitoring_log
from vigil.retro.actions import add_action, complete, list_actions
from vigil.retro.service import draft


def _req_30(watched, root):
    with watched.store.read() as s:
        release = get_release(s, watched.slug)
        return req_30(TraceContext(s, release, plan_of(release), root, watched.end))


def test_req_30_needs_a_retrospective_and_every_action_closed(watched, tmp_path):
    root = tmp_path / "ev"
    assert _req_30(watched, root).status == "unmet"
    draft(watched.store, root, watched.slug, actor="Ravi Menon", now=watched.end)
    extra = add_action(
        watched.store,
        watched.slug,
        title="Add a heap-slope alert",
        assignee="Sam Okafor",
        due_at=watched.end + timedelta(days=3),
        source="alert:7",
        actor="Ana Costa",
        now=watched.end,
    )
    status = _req_30(watched, root)
    assert status.status == "partial" and len(status.missing) == 2
    assert any("'Add a heap-slope alert' is open" in m for m in status.missing)

    complete(watched.store, extra.id, actor="Sam Okafor", now=watched.end)  # the assignee closes their own
    with watched.store.read() as s:
        generated = next(a for a in list_actions(s) if a.id != extra.id)
    with pytest.raises(VigilError, match="needs a reason"):
        complete(watched.store, generated.id, actor="Ana Costa", now=watched.end, carry_reason="  ")
    complete(
        watched.store, generated.id, actor="Ana Costa", now=watched.end, carry_reason="Fix ships in 2.3.1"
    )
    assert _req_30(watched, root).status == "met"
    with pytest.raises(Conflict, match="already carried over"):
        complete(watched.store, generated.id, actor="Ana Costa", now=watched.end)


def test_only_the_assignee_or_an_owner_closes_and_only_owners_carry_over(watched, tmp_path):
    item = add_action(
        watched.store,
        watched.slug,
        title="Tune alert",
        assignee="Sam Okafor",
        due_at=watched.end + timedelta(days=1),
        source="",
        actor="Sam Okafor",
        now=watched.end,
    )
    with pytest.raises(PermissionDenied, match="close an action item assigned to Sam Okafor"):
        complete(watched.store, item.id, actor="Jo Berg", now=watched.end)
    with pytest.raises(PermissionDenied, match="carry an action item over"):
        complete(watched.store, item.id, actor="Sam Okafor", now=watched.end, carry_reason="later")
    done = complete(watched.store, item.id, actor="Ravi Menon", now=watched.end)
    assert done.status == "done" and done.closed_by == "Ravi Menon"


def test_overdue_is_judged_on_the_clock(watched, vigil_cli):
    add_action(
        watched.store,
        watched.slug,
        title="Soon",
        assignee="Sam Okafor",
        due_at=watched.end + timedelta(days=2),
        source="incident:3",
        actor="Ana Costa",
        now=watched.end,
    )
    add_action(
        watched.store,
        watched.slug,
        title="Later",
        assignee="Sam Okafor",
        due_at=watched.end + timedelta(days=30),
        source="",
        actor="Ana Costa",
        now=watched.end,
    )
    with watched.store.read() as s:
        assert list_actions(s, overdue_at=watched.end + timedelta(days=1)) == []
        assert [a.title for a in list_actions(s, overdue_at=watched.end + timedelta(days=3))] == ["Soon"]
    # The CLI reads the real clock: an item due in 2001 can only have been added back then (a due date
    # already past at creation is refused), one due in 2999 is certainly in the future.
    url = watched.store.url
    add_action(watched.store, watched.slug, title="Long overdue", assignee="Sam Okafor",
               due_at=datetime(2001, 1, 1, tzinfo=UTC), source="", actor="Ana Costa",
               now=datetime(2000, 12, 1, tzinfo=UTC))
    args = ("--assignee", "Sam Okafor", "--as", "Ana Costa", "--db", url)
    code, out = vigil_cli("action", "add", watched.slug, "Typo year", "--due", "2020-12-31", *args)
    assert code != 0 and "the due date 2020-12-31 is already past" in out
    assert vigil_cli("action", "add", watched.slug, "Far future", "--due", "2999-01-01", *args)[0] == 0
    code, out = vigil_cli("action", "list", "--overdue", "--db", url)
    assert code == 0 and "Long overdue" in out and "overdue" in out and "Far future" not in out
    code, out = vigil_cli("action", "list", watched.slug, "--db", url)
    assert code == 0 and "Far future" in out and "Soon" in out


def test_bad_input_is_refused_with_one_line(watched):
    with pytest.raises(VigilError, match="--from must look like"):
        add_action(
            watched.store,
            watched.slug,
            title="x",
            assignee="y",
            due_at=watched.end,
            source="jira-12",
            actor="Ana Costa",
            now=watched.end,
        )
    add_action(
        watched.store,
        watched.slug,
        title="x",
        assignee="y",
        due_at=watched.end,
        source="",
        actor="Ana Costa",
        now=watched.end,
    )
    with pytest.raises(Conflict, match="already exists"):
        add_action(
            watched.store,
            watched.slug,
            title="x",
            assignee="z",
            due_at=watched.end,
            source="",
            actor="Ana Costa",
            now=watched.end,
        )


def test_cli_add_done_carry(watched, vigil_cli):
    url = watched.store.url
    code, out = vigil_cli(
        "action",
        "add",
        watched.slug,
        "Write a soak test",
        "--assignee",
        "Sam Okafor",
        "--due",
        "2999-12-01",
        "--from",
        "checkpoint:T+2h",
        "--as",
        "Ana Costa",
        "--db",
        url,
    )
    assert code == 0 and "due 2999-12-01" in out
    code, out = vigil_cli(
        "action",
        "add",
        watched.slug,
        "Bad",
        "--assignee",
        "x",
        "--due",
        "tomorrow",
        "--as",
        "Ana Costa",
        "--db",
        url,
    )
    assert code == 1 and "is not a date" in out
    code, out = vigil_cli("action", "done", "1", "--as", "Sam Okafor", "--db", url)
    assert code == 0 and "done" in out
    code, out = vigil_cli("action", "done", "1", "--as", "Sam Okafor", "--db", url)
    assert code == 1 and "already done" in out


def test_the_monitoring_log_shows_action_items_and_the_retrospective_date(watched, tmp_path):
    draft(
        watched.store,
        tmp_path,
        watched.slug,
        actor="Ravi Menon",
        now=watched.end,
        learnings=[("improve", "Soak-test the heap")],
    )
    text = render_monitoring_log(watched.store, watched.slug, watched.end + timedelta(days=1))
    section = text[text.index("### Specific Action Items") : text.index("## Business Impact Analysis")]
    assert (
        "- [ ] **Find and fix the cause of the Memory Usage" in section and "Assigned: Ravi Menon" in section
    )
    assert "- Soak-test the heap (Ravi Menon)" in text
    local_day = watched.end.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d")
    assert f"**Retrospective Scheduled:** [x] Yes - {local_day} (held) [ ] No" in text
    assert "**Review Scheduled:** [ ] Yes [x] No" in text
    assert "___" not in text and "[placeholder]" not in text
