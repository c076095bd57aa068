"""Alembic environment: always run with a connection handed in by ``Store.migrate``."""

from alembic import context

from vigil.store import registry  # noqa: F401  (registers every model on the metadata)
from vigil.store.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
