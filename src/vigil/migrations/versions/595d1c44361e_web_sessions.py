"""web sessions (one row per browser sign-in, ended by logout or token revocation) and organisation roles

Revision ID: 595d1c44361e
Revises: 71faa892038c
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vigil.store.types

revision: str = '595d1c44361e'
down_revision: str | None = '71faa892038c'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sid_hash', sa.String(length=64), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=100), nullable=False),
    sa.Column('created_at', vigil.store.types.UTCTimestamp(), nullable=False),
    sa.Column('expires_at', vigil.store.types.UTCTimestamp(), nullable=False),
    sa.Column('ended_at', vigil.store.types.UTCTimestamp(), nullable=True),
    sa.Column('ended_why', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_web_sessions_token_id_api_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('sid_hash', name=op.f('uq_web_sessions_sid_hash'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_token_id'), ['token_id'], unique=False)
    op.create_table('organisation_roles',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('granted_at', vigil.store.types.UTCTimestamp(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_organisation_roles_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', 'role', name=op.f('pk_organisation_roles'))
    )


def downgrade() -> None:
    op.drop_table('organisation_roles')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_token_id'))
    op.drop_table('web_sessions')
