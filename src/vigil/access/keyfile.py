"""The session-cookie signing key: a file only the server's user can read, never in the store.

Anyone who can read the key can sign a session cookie, so it is kept away from the data a backup, a
replica or a read-only database user sees: ``VIGIL_SESSION_KEY_FILE``, else beside a SQLite store
(``vigil.db.session-key``), else ``$XDG_CONFIG_HOME/vigil/session-key`` (``~/.config/…``) for PostgreSQL.
Generated on first start with mode 0600; a key file others can read is refused.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from vigil.errors import VigilError
from vigil.settings import Settings
from vigil.store.private import private_dirs

KEY_BYTES = 48


def key_path(store_url: str, explicit: str | None = None) -> Path:
    chosen = explicit or Settings().session_key_file
    if chosen:
        return Path(chosen).expanduser()
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}.session-key")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "vigil" / "session-key"


def session_key(store_url: str, explicit: str | None = None) -> str:
    """The key, created on first use. Several workers starting at once agree on one key: each writes a
    complete key to a private temporary file and links it into place; a link never replaces a file, so
    the first one wins and the others read it, never a half-written one."""
    path = key_path(store_url, explicit)
    private_dirs(path.parent)
    if not path.exists():
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise VigilError(f"the session key file {path} is readable by others (mode {mode:o}): chmod 600 {path}")
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise VigilError(f"the session key file {path} holds no usable key: delete it and start again")
    return key


def _create(path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".session-key-")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another worker's key is already there: use it
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
