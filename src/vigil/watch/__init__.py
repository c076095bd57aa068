"""The watch: evaluate checkpoints when due, persist them, and act (rollback); the loop that runs it is
``vigil.flows.watch_loop``.

The names below load on first use (PEP 562): importing ``vigil.watch.models`` for a read must not import
the evaluation and its statistics (scipy).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vigil.watch.evaluate import Outcome, evaluate_checkpoint
    from vigil.watch.schedule import pending_checkpoints

_HOME = {"Outcome": "vigil.watch.evaluate", "evaluate_checkpoint": "vigil.watch.evaluate",
         "pending_checkpoints": "vigil.watch.schedule"}

__all__ = ["Outcome", "evaluate_checkpoint", "pending_checkpoints"]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'vigil.watch' has no attribute '{name}'")
    return getattr(import_module(_HOME[name]), name)
