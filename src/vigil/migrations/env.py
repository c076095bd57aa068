"""Alembic environment: always run with a connection handed in by ``Store.migrate``."""

from alembic import context

from vigil import models  # noqa: F401  (registers every model on the metadata)
from vigil.store.base import Base

connection = context.config.attributes["connection"]


def _include_name(name: str | None, type_: str, _parents: object) -> bool:
    # The FTS5 table and its shadow tables are made by hand in 0005_logs: autogenerate must not drop them.
    return not (type_ == "table" and name is not None and name.startswith("log_fts"))


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=_include_name,
)
with context.begin_transaction():
    context.run_migrations()
