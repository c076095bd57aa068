"""Post-deployment smoke runs (DEP-02) as the monitoring log shows them, and which run is the T+0 health check."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.reports.formatting import Clockface
from vigil.smoke.models import SmokeRun

# A run with one of these triggers checks the deployment itself, so it is the T+0 health check; runs
# triggered at later checkpoints are listed but say nothing about the deployment's start.
DEPLOYMENT_TRIGGERS = ("deployment", "T+0", "import")


@dataclass(frozen=True)
class SmokeView:
    run_id: int
    passed: bool
    line: str  # the run in one line: source, trigger, time, counts
    failures: list[str]  # one line per check that failed or errored


def smoke_view(run: SmokeRun, clock: Clockface) -> SmokeView:
    ran = run.total - run.skipped
    counts = f"{ran - run.failed} of {ran} checks passed" + (f", {run.skipped} skipped" if run.skipped else "")
    line = f"Run #{run.id} ({run.source}, {run.trigger}, {clock.full(run.finished_at)}): {counts}"
    failures = [f"{r.name}: {r.outcome}" + (f" (HTTP {r.status_code})" if r.status_code else "")
                + (f" - {r.message}" if r.message else "")
                for r in run.results if r.outcome in ("failed", "error")]
    return SmokeView(run.id, run.passed, line, failures)


def deployment_smoke(runs: list[SmokeRun]) -> SmokeRun | None:
    """The earliest run that checked the deployment itself (see DEPLOYMENT_TRIGGERS), if any."""
    return next((r for r in runs if r.trigger in DEPLOYMENT_TRIGGERS), None)
