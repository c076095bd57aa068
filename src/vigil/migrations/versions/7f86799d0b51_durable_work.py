"""watch: durable follow-up work with leases; leases on notifications and rollbacks

Revision ID: 7f86799d0b51
Revises: 595d1c44361e

- due_work: one row per side effect a checkpoint (or a rollback) made due (a smoke run, a rollback's
  verification), claimed with a lease and done exactly once;
- notifications.lease_until / next_attempt_at: a send claimed with a lease, a retry due at a time;
- rollback_events.lease_until: a started rollback whose worker died is noticed once it passes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vigil.store.types

revision: str = '7f86799d0b51'
down_revision: str | None = '595d1c44361e'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('due_work',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('due_at', vigil.store.types.UTCTimestamp(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('lease_until', vigil.store.types.UTCTimestamp(), nullable=True),
    sa.Column('token', sa.String(length=32), nullable=True),
    sa.Column('claims', sa.Integer(), nullable=False),
    sa.Column('done_at', vigil.store.types.UTCTimestamp(), nullable=True),
    sa.Column('result', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('release_id', 'kind', 'key', name='uq_due_work')
    )
    op.create_index('ix_due_work_state_due', 'due_work', ['state', 'due_at'], unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', vigil.store.types.UTCTimestamp(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', vigil.store.types.UTCTimestamp(), nullable=True))
    with op.batch_alter_table('rollback_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', vigil.store.types.UTCTimestamp(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rollback_events', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('lease_until')
    op.drop_index('ix_due_work_state_due', table_name='due_work')
    op.drop_table('due_work')
