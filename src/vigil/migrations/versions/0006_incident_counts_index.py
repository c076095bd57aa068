"""incidents: index (release_id, status) for the overview's open-incident counts

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_incidents_release_id_status', 'incidents', ['release_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_incidents_release_id_status', table_name='incidents')
