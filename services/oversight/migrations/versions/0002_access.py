"""access read model: every service's recorded reads of a household's personal data (oversight.access)

Revision ID: 0002_access
Revises: 0001
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002_access'
down_revision: Union[str, None] = '0002_kpis'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('access_records',
    sa.Column('access_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=20), nullable=False),
    sa.Column('accessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('actor_area', sa.String(length=12), nullable=False),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('access_id', name=op.f('pk_access_records'))
    )
    op.create_index('ix_access_records_household_at', 'access_records', ['household_id', 'accessed_at'], unique=False)
    op.create_index('ix_access_records_division_at', 'access_records', ['division_code', 'accessed_at'], unique=False)
    op.create_index('ix_access_records_actor_at', 'access_records', ['actor', 'accessed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_access_records_actor_at', table_name='access_records')
    op.drop_index('ix_access_records_division_at', table_name='access_records')
    op.drop_index('ix_access_records_household_at', table_name='access_records')
    op.drop_table('access_records')
