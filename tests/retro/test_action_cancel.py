"""Action items can be cancelled with a reason, by the roles that manage them; a cancelled item is not open
for the gate or the trace, and every report shows it as cancelled with its reason (compared with the
store). Checked for each way an item ends: only an open item holds REQ-30 back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from vigil.errors import Conflict, PermissionDenied, VigilError
from vigil.governance.closure import closure_context
from vigil.governance.requirements import TraceContext, req_30
from vigil.releases.service import get_release, plan_of
from vigil.reports.monitoring_log import render_monitoring_log
from vigil.retro.actions import add_action, cancel, complete
from vigil.retro.models import ActionItem, ActionState
from vigil.retro.service import draft, render_report
from vigil.store.audit import AuditEntry


def _add(watched, title: str, actor: str = "Ana Costa"):
    return add_action(watched.store, watched.slug, title=title, assignee="Sam Okafor",
                      due_at=watched.end + timedelta(days=3), source="", actor=actor, now=watched.end)


def _end(watched, item_id: int, state: ActionState) -> None:
    if state is ActionState.DONE:
        complete(watched.store, item_id, actor="Sam Okafor", now=watched.end)
    elif state is ActionState.CARRIED_OVER:
        complete(watched.store, item_id, actor="Ana Costa", now=watched.end, carry_reason="next release")
    elif state is ActionState.CANCELLED:
        cancel(watched.store, item_id, actor="Ravi Menon", now=watched.end, reason="superseded by INC-2 fix")


def test_only_owners_cancel_with_a_reason_and_it_is_audited(watched):
    item = _add(watched, "Tune the alert")
    with pytest.raises(PermissionDenied, match="Sam Okafor may not cancel an action item"):
        cancel(watched.store, item.id, actor="Sam Okafor", now=watched.end, reason="not needed")
    with pytest.raises(VigilError, match="needs a reason"):
        cancel(watched.store, item.id, actor="Ana Costa", now=watched.end, reason=" ")
    done = cancel(watched.store, item.id, actor="Ana Costa", now=watched.end, reason=" not needed after all ")
    assert (done.status, done.reason, done.closed_by) == ("cancelled", "not needed after all", "Ana Costa")
    with pytest.raises(Conflict, match="already cancelled"):
        cancel(watched.store, item.id, actor="Ana Costa", now=watched.end, reason="again")
    with pytest.raises(Conflict, match="already cancelled"):
        complete(watched.store, item.id, actor="Sam Okafor", now=watched.end)
    with watched.store.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "action.cancelled"))
        denied = s.scalar(select(AuditEntry).where(AuditEntry.action == "permission.denied"))
    assert entry is not None and entry.actor == "Ana Costa" and entry.payload["reason"] == "not needed after all"
    assert denied is not None and denied.payload["action"] == "cancel an action item"


@pytest.mark.parametrize("state", list(ActionState))
def test_only_an_open_item_holds_req_30_back_and_reports_say_what_became_of_it(watched, tmp_path, state):
    root = tmp_path / "ev"
    draft(watched.store, root, watched.slug, actor="Ravi Menon", now=watched.end)
    with watched.store.read() as s:
        for generated in s.scalars(select(ActionItem)):  # the retrospective's own suggestions: done
            complete(watched.store, generated.id, actor="Ravi Menon", now=watched.end)
    item = _add(watched, "Add a heap-slope alert")
    _end(watched, item.id, state)
    draft(watched.store, root, watched.slug, actor="Ravi Menon", now=watched.end)  # seal it with the change
    with watched.store.read() as s:
        release = get_release(s, watched.slug)
        stored = s.get(ActionItem, item.id)
        assert stored is not None and stored.status == state.value
        status = req_30(TraceContext(s, release, plan_of(release), root, watched.end))
        retro = render_report(s, release, watched.end)
        closure = closure_context(s, release, root, watched.end)
    assert (status.status == "met") == (state is not ActionState.OPEN), status.missing
    assert [a.id for a in closure["open_actions"]] == ([item.id] if state is ActionState.OPEN else [])
    row = next(line for line in retro.splitlines() if "Add a heap-slope alert" in line)
    log = render_monitoring_log(watched.store, watched.slug, watched.end)
    log_line = next(line for line in log.splitlines() if "Add a heap-slope alert" in line)
    if state is ActionState.CANCELLED:
        assert f"cancelled: {stored.reason}" in row and f"cancelled: {stored.reason}" in log_line
    if state is ActionState.OPEN:
        assert "cancelled" not in row and "- [ ]" in log_line


@given(st.integers(min_value=-20 * 24 * 60, max_value=20 * 24 * 60))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_an_action_item_is_refused_exactly_when_its_due_date_is_already_past(watched, minutes: int):
    due = watched.end + timedelta(minutes=minutes)
    title = f"Item due {minutes:+d} min"
    with watched.store.read() as s:
        if s.scalar(select(ActionItem.id).where(ActionItem.title == title)) is not None:
            return  # hypothesis repeated an example on the same store
        before = s.scalar(select(func.count(ActionItem.id)))
    if due < watched.end:
        with pytest.raises(VigilError, match=f"the due date {due:%Y-%m-%d} is already past"):
            add_action(watched.store, watched.slug, title=title, assignee="Sam Okafor", due_at=due, source="",
                       actor="Ana Costa", now=watched.end)
    else:
        add_action(watched.store, watched.slug, title=title, assignee="Sam Okafor", due_at=due, source="",
                   actor="Ana Costa", now=watched.end)
    with watched.store.read() as s:
        assert s.scalar(select(func.count(ActionItem.id))) == before + (due >= watched.end)
