"""access log: every read of a household's personal data by staff (shared.access_audit)

Revision ID: 0007_access
Revises: 0006
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007_access'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('access_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('actor_area', sa.String(length=12), nullable=False),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('correlation_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('access_id')
    )
    op.create_index('ix_access_log_household', 'access_log', ['household_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_access_log_household', table_name='access_log')
    op.drop_table('access_log')
