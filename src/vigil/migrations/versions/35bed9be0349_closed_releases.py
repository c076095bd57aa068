"""governance: closed releases are read-only; a reopening voids the closure sign-off but keeps it

Revision ID: 35bed9be0349
Revises: 0007

- releases.closed_at / closed_by: set by the Sponsor's closure approval, cleared by a reopening;
  releases already approved are marked closed from their closure sign-off;
- signoffs.revoked_at / revoked_by / revoke_reason: a voided sign-off stays on record, so the one-per-kind
  rule becomes one *in force* per kind (a partial unique index, on SQLite and PostgreSQL alike).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vigil.store.types

revision: str = '35bed9be0349'
down_revision: str | None = '0007'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_IN_FORCE = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', vigil.store.types.UTCTimestamp(), nullable=True))
        batch_op.add_column(sa.Column('closed_by', sa.String(length=200), nullable=True))
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', vigil.store.types.UTCTimestamp(), nullable=True))
        batch_op.add_column(sa.Column('revoked_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('revoke_reason', sa.Text(), nullable=True))
        batch_op.drop_constraint('uq_signoffs_release_id', type_='unique')
    op.create_index('ix_signoffs_in_force', 'signoffs', ['release_id', 'kind'], unique=True,
                    sqlite_where=_IN_FORCE, postgresql_where=_IN_FORCE)
    closed = op.get_bind().execute(sa.text("SELECT 1 FROM signoffs WHERE kind = 'closure' LIMIT 1")).first()
    if closed is None:  # nothing was closed yet (always so on a new store)
        return
    op.execute("UPDATE releases SET closed_at = (SELECT s.signed_at FROM signoffs s WHERE s.release_id = "
               "releases.id AND s.kind = 'closure'), closed_by = (SELECT s.person FROM signoffs s WHERE "
               "s.release_id = releases.id AND s.kind = 'closure') WHERE EXISTS (SELECT 1 FROM signoffs s "
               "WHERE s.release_id = releases.id AND s.kind = 'closure')")


def downgrade() -> None:
    op.drop_index('ix_signoffs_in_force', table_name='signoffs')
    op.execute("DELETE FROM signoffs WHERE revoked_at IS NOT NULL")
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_signoffs_release_id', ['release_id', 'kind'])
        batch_op.drop_column('revoke_reason')
        batch_op.drop_column('revoked_by')
        batch_op.drop_column('revoked_at')
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_column('closed_by')
        batch_op.drop_column('closed_at')
