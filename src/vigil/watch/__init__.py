"""The watch: evaluate checkpoints when due, persist them, and act (rollback)."""

from vigil.watch.evaluate import Outcome, evaluate_checkpoint
from vigil.watch.loop import pending_checkpoints, watch

__all__ = ["Outcome", "evaluate_checkpoint", "pending_checkpoints", "watch"]
