"""Settings read from the environment (``VIGIL_*``) with command-line flags taking precedence."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///vigil.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIL_", extra="ignore")

    db: str = DEFAULT_DB
    evidence_dir: str | None = None  # content-addressed evidence archive (vigil.evidence)
    retention_file: str | None = None  # YAML: evidence kind -> retention period
    kb_dir: str | None = None  # organisation-wide lessons-learned knowledge base
    alertmanager_token: str | None = None  # bearer token Alertmanager sends to POST /api/v1/alertmanager
    # Where the audit chain's head is published after each commit (vigil.store.witness); empty: nowhere.
    audit_witness: str | None = None
    # The session-cookie signing key file (vigil.access.keyfile); default beside a SQLite store.
    session_key_file: str | None = None
    secure_cookies: bool = False  # served over HTTPS (directly or behind a proxy): cookies get `Secure`
    allowed_hosts: str = "*"  # comma-separated Host header values the server answers (TrustedHostMiddleware)


def database_url(explicit: str | None = None) -> str:
    """The database URL: the flag if given, else ``VIGIL_DB``, else ``./vigil.db``.

    A bare path is accepted as shorthand for a SQLite file.
    """
    url = explicit or Settings().db
    return url if "://" in url else f"sqlite:///{url}"
