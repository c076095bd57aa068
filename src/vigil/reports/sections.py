"""The monitoring log's outline: the seed template's sections, in its order, as one constant.

The template (monitoring_log.md.j2) takes its checkpoint headings from here, the renderer checks every
log it writes against ``expected_outline`` before returning it, and the tests compare ``LOG_SECTIONS``
with the seed template itself. One list, so the log, its check and its test cannot disagree.
"""

from __future__ import annotations

import re

from vigil.errors import VigilError

TITLE = "# Post-Release Monitoring Log"
TIMELINE = "## Monitoring Timeline"

# Every heading of the seed template except the checkpoint blocks (one per plan checkpoint, below) and
# the per-item ones (one per incident or decision point, ``PER_ITEM``), in the template's order.
LOG_SECTIONS: tuple[str, ...] = (
    TITLE,
    "## Release Information",
    TIMELINE,
    "## Incidents and Issues",
    "## Rollback Events",
    "### Rollback Execution (if applicable)",
    "## Monitoring Effectiveness",
    "### Dashboard Usage",
    "### Alert Performance",
    "### Response Times",
    "## Stakeholder Communication",
    "### Communication Timeline",
    "### Stakeholder Feedback",
    "## Key Learnings",
    "### What Worked Well",
    "### Areas for Improvement",
    "### Specific Action Items",
    "## Business Impact Analysis",
    "### Revenue Impact",
    "### Feature Performance",
    "### Operational Impact",
    "## Historical Comparison",
    "### Compared to Previous Releases",
    "### Trend Analysis",
    "## Final Assessment",
    "### Success Criteria Met",
    "### Overall Release Rating",
    "### Recommendations for Next Release",
)

PER_ITEM = re.compile(r"^### (Issue #|Rollback Decision Point )")

# The template's own headings for its checkpoints; any other offset is headed by its name.
CHECKPOINT_HEADINGS = {
    "T+0": "### T+0 (Deployment Start)",
    "T+15m": "### T+15 (First Checkpoint)",
    "T+30m": "### T+30",
    "T+1h": "### T+1 Hour",
    "T+2h": "### T+2 Hours",
    "T+4h": "### T+4 Hours",
    "T+8h": "### T+8 Hours",
    "T+24h": "### T+24 Hours",
}


def checkpoint_heading(name: str, final: bool = False) -> str:
    """The heading of a checkpoint block; ``final``: the block of the plan's last checkpoint (final status,
    release result, summary), which the template puts at T+24h and vigil at the last offset, whatever it is."""
    if final and name != "T+24h":
        return f"### {name} (Final Checkpoint)"
    return CHECKPOINT_HEADINGS.get(name, f"### {name}")


def expected_outline(checkpoints: list[str]) -> list[str]:
    """The headings (without their times) a log for a plan with these checkpoints has, in order."""
    blocks = [checkpoint_heading(name, final=i == len(checkpoints) - 1 and name != "T+0")
              for i, name in enumerate(checkpoints)]
    if checkpoints and checkpoints[-1] == "T+0":  # a plan with T+0 only: its block, then the final block
        blocks.append(checkpoint_heading("T+0", final=True))
    at = LOG_SECTIONS.index(TIMELINE) + 1
    return [*LOG_SECTIONS[:at], *blocks, *LOG_SECTIONS[at:]]


def outline_of(text: str) -> list[str]:
    """A written log's headings, per-item ones left out and a checkpoint's time (``: 09:15``) cut off."""
    return [re.sub(r": (\d\d:\d\d|not recorded)$", "", line) for line in text.splitlines()
            if line.startswith("#") and not PER_ITEM.match(line)]


def check_outline(text: str, checkpoints: list[str]) -> None:
    """Refuse a log whose sections differ from the template's (a bug, never a state of the data)."""
    got, want = outline_of(text), expected_outline(checkpoints)
    if got != want:
        extra = [h for h in got if h not in want]
        missing = [h for h in want if h not in got]
        raise VigilError(f"the monitoring log does not follow the template: missing {missing}, "
                         f"unexpected {extra} (report this as a bug)")
