"""Files and folders only their owner may read: the SQLite store, its index, the evidence archive, the
session key. Modes are set explicitly after creation, so a permissive umask (022, 002) changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 if it does not exist; True if this call created it.
    An existing file is left as it is (its owner may have chosen its mode)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def private_dirs(path: Path) -> None:
    """``mkdir -p path`` where every folder this call creates gets mode 0700."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:  # another process made it meanwhile: its mode is its creator's
            continue
        os.chmod(folder, DIR_MODE)
