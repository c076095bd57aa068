"""The exceptions vigil raises, as one small hierarchy.

Every error a user can cause ends up as a ``VigilError``; the CLI prints its message on one line and
exits non-zero, so nothing below the CLI needs to know how errors are shown.
"""

from __future__ import annotations


class VigilError(Exception):
    """Base class: something the user can read and act on."""

    exit_code = 1


def located(path: str, line: int | None, field: str, message: str) -> str:
    """``file:line: field: message``, the form of every plan error and warning."""
    where = f"{path}:{line}" if line is not None else path
    return f"{where}: {field}: {message}"


class PlanError(VigilError):
    """A monitoring plan that cannot be used; names the file, line and field."""

    exit_code = 2

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        self.path, self.line, self.field, self.message = path, line, field, message
        super().__init__(located(path, line, field, message))


class UsageError(VigilError):
    """Options that cannot be used as given (together, or with the releases they name)."""

    exit_code = 2


class NotFound(VigilError):
    """A release, checkpoint or other record that does not exist."""


class Conflict(VigilError):
    """The request clashes with what is already stored (a duplicate name, a state that forbids it)."""


class NotDue(Conflict):
    """A checkpoint asked for before its due time: nothing is judged from a window that has not happened."""

    def __init__(self, checkpoint: str, due_at: str, now: str) -> None:
        self.checkpoint, self.due_at, self.now = checkpoint, due_at, now
        super().__init__(f"checkpoint {checkpoint} is not due until {due_at} (it is now {now}); "
                         "it is evaluated when it falls due, not before")


class PermissionDenied(VigilError):
    """The actor lacks the role the action needs."""

    exit_code = 3


class SourceError(VigilError):
    """A metric source could not answer; callers turn this into 'no data', never into 'healthy'."""


class StoreError(VigilError):
    """The store is unreachable or inconsistent."""


class RollbackError(VigilError):
    """The configured rollback action failed."""


class ReleaseClosed(Conflict):
    """A write to a closed release or any of its records; closed releases are read-only (HTTP 409, like
    every ``Conflict``). Only the Sponsor's ``vigil release reopen`` makes one writable again."""

    http_status = 409
