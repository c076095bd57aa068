"""Checks of a written monitoring log (and closure report) against the store: what they say must be stored.

Used by the property tests over generated plans and by the end-to-end release test.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.alerts.models import Communication, Notification
from vigil.analysis.judgement import fmt
from vigil.incidents.models import Incident
from vigil.plan import Plan
from vigil.releases.models import Release
from vigil.releases.service import plan_of
from vigil.reports.sections import check_outline, checkpoint_heading
from vigil.reports.smoke import deployment_smoke
from vigil.smoke.service import runs_for
from vigil.watch.models import Checkpoint, RollbackEvent

# What an unfilled template field looks like: blanks, bracketed placeholders, leaked Python or Jinja.
PLACEHOLDERS = re.compile(r"___|\{\{|\}\}|\{%|(?<!\] )\bNone\b(?! needed)|\bnan\b|\binf\b|Undefined")
BRACKETED = re.compile(r"\[(?! \]|x\])[^\]\n]+\]")


def section(log: str, heading: str) -> str:
    """The text from ``heading`` (a line starting with it) to the next heading of the same or higher level."""
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    level = len(heading) - len(heading.lstrip("#"))
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith("#") and len(lines[i]) - len(lines[i].lstrip("#")) <= level), len(lines))
    return "\n".join(lines[start:end])


def summary_table(log: str, last: str) -> dict[str, list[str]]:
    """The final block's summary rows by metric label: baseline, average, peak, worst, status."""
    block = section(log, checkpoint_heading(last, final=True))
    rows = [line for line in block.splitlines() if line.startswith("| ") and not line.startswith("| Metric")]
    return {cells[0]: cells[1:] for cells in ([c.strip() for c in r.strip("|").split("|")] for r in rows)}


def check_log_against_store(log: str, session: Session, release: Release) -> None:
    plan = plan_of(release)
    names = plan.checkpoint_names()
    check_outline(log, names)
    assert not PLACEHOLDERS.search(log), PLACEHOLDERS.search(log)
    assert BRACKETED.findall(log) == []
    stored = {c.name: c for c in session.scalars(select(Checkpoint).where(Checkpoint.release_id == release.id))}
    _check_final_block(log, plan, stored)
    _check_summary(log, plan, stored)
    _check_incidents(log, session, release)
    _check_smoke(log, session, release, stored)
    _check_rating(log, plan, stored)
    _check_first_flag(log, session, release, stored)
    _check_communication(log, session, release)


def _check_final_block(log: str, plan: Plan, stored: dict[str, Checkpoint]) -> None:
    last = plan.checkpoint_names()[-1]
    block = section(log, checkpoint_heading(last, final=True))
    assert "**Final Health Status:**" in block and "**Release Result:**" in block
    assert block.count("Not evaluated") <= 1 and block.count("Not yet evaluated") <= 1
    checkpoint = stored.get(last)
    if checkpoint is not None and checkpoint.state == "evaluated" and checkpoint.decision is not None:
        word = {"healthy": "[x] ✅ Healthy", "warning": "[x] ⚠️ Warning", "critical": "[x] 🚨 Critical",
                "unknown": "❔ Unknown"}[checkpoint.decision.health]
        assert word in block


def _check_summary(log: str, plan: Plan, stored: dict[str, Checkpoint]) -> None:
    """Peak is the stored maximum, Worst the stored extreme in the bad direction (after T+0)."""
    table = summary_table(log, plan.checkpoint_names()[-1])
    after_start = [c for c in stored.values() if c.state == "evaluated" and c.name != "T+0"]
    for metric in plan.metrics:
        values = [r.current for c in after_start for r in c.readings
                  if r.metric == metric.name and r.current is not None]
        _baseline, _average, peak, worst, _status = table[metric.label]
        assert peak == fmt(max(values) if values else None, metric.unit), (metric.name, peak, values)
        extreme = (max(values) if metric.bad == "up" else min(values)) if values else None
        assert worst == fmt(extreme, metric.unit)


def _check_incidents(log: str, session: Session, release: Release) -> None:
    incidents = list(session.scalars(select(Incident).where(Incident.release_id == release.id)))
    block = section(log, "## Incidents and Issues")
    assert block.count("### Issue #") == len(incidents)
    assert ("No incidents were recorded for this release." in block) == (not incidents)
    for incident in incidents:
        assert f": {incident.title} - " in block and incident.ticket in block


def _check_smoke(log: str, session: Session, release: Release, stored: dict[str, Checkpoint]) -> None:
    runs = runs_for(session, release.id)
    timeline = section(log, "## Monitoring Timeline")
    for run in runs:
        line = next(line for line in timeline.splitlines() if f"Run #{run.id} " in line)
        assert line.startswith("- ✅" if run.passed else "- 🚨")
    if not runs:
        assert "No smoke run was recorded for this release." in timeline
    if "T+0" in stored and stored["T+0"].state == "evaluated":
        check = next(line for line in timeline.splitlines() if line.startswith("**Health Check:**"))
        first = deployment_smoke(runs)
        if first is not None:
            assert ("✅ Passed" in check) == first.passed and f"smoke run #{first.id}" in check
        else:
            assert "no post-deployment smoke run was recorded" in check


def _check_rating(log: str, plan: Plan, stored: dict[str, Checkpoint]) -> None:
    """Never rated better than the evidence: mostly unknown checkpoints are never Satisfactory or better."""
    evaluated = [c for c in stored.values() if c.state == "evaluated" and c.decision is not None]
    unknown = sum(1 for c in evaluated if c.decision is not None and c.decision.health == "unknown")
    rating = section(log, "### Overall Release Rating")
    if evaluated and 2 * unknown > len(evaluated):
        for better in ("[x] Excellent", "[x] Good", "[x] Satisfactory"):
            assert better not in rating
        assert "[x] ✅ Success" not in log
    if not any(m.business for m in plan.metrics):
        assert "- [ ] **Business impact neutral/positive** - no data" in log


def _check_first_flag(log: str, session: Session, release: Release, stored: dict[str, Checkpoint]) -> None:
    """"first flagged at X": from X to the rollback checkpoint, a metric out of limits at the rollback
    was out of limits at every checkpoint, and it was not out of limits just before X."""
    match = re.search(r"^- (.+) was first flagged at (T\+\w+) and the rollback decided at (T\+\w+)", log, re.M)
    rollback = session.scalar(select(RollbackEvent).where(RollbackEvent.release_id == release.id))
    if match is None:
        return
    assert rollback is not None and match.group(3) == rollback.checkpoint.name
    order = [c for c in sorted(stored.values(), key=lambda c: c.offset_seconds) if c.state == "evaluated"]
    names = [c.name for c in order]
    start, end = names.index(match.group(2)), names.index(match.group(3))
    out = {i: {r.label for r in c.readings if r.status in ("warning", "critical")} for i, c in enumerate(order)}
    labels = set(match.group(1).split(", "))
    assert labels <= out[start] and labels & out[end]
    for i in range(start, end + 1):
        assert out[i] & out[end], f"{names[i]} had none of the decisive metrics out of limits"
    if start > 0:
        assert not (out[start - 1] & out[end])


def _check_communication(log: str, session: Session, release: Release) -> None:
    """Ticked only when every recorded update reached a channel and every notification was sent."""
    if "- [x] **Communication successful**" not in log:
        return
    comms = list(session.scalars(select(Communication).where(Communication.release_id == release.id)))
    assert comms
    for comm in comms:
        notes = list(session.scalars(select(Notification).where(Notification.id.in_(comm.notification_ids or [-1]))))
        assert notes and all(n.status == "sent" for n in notes)
