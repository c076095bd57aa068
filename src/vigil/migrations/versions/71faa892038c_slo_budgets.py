"""slo: each SLO's error-budget figures at a checkpoint

Revision ID: 71faa892038c
Revises: 35bed9be0349
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '71faa892038c'
down_revision: str | None = '35bed9be0349'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slo_budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('slo', sa.String(length=60), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('window_seconds', sa.Float(), nullable=False),
    sa.Column('good', sa.Float(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('measured_seconds', sa.Float(), nullable=False),
    sa.Column('consumed', sa.Float(), nullable=True),
    sa.Column('remaining', sa.Float(), nullable=True),
    sa.Column('burn_rate', sa.Float(), nullable=True),
    sa.Column('burning', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoints.id'], name=op.f('fk_slo_budgets_checkpoint_id_checkpoints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slo_budgets')),
    sa.UniqueConstraint('checkpoint_id', 'slo', name=op.f('uq_slo_budgets_checkpoint_id'))
    )
    with op.batch_alter_table('slo_budgets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slo_budgets_checkpoint_id'), ['checkpoint_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('slo_budgets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slo_budgets_checkpoint_id'))
    op.drop_table('slo_budgets')
