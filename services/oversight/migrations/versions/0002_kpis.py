"""KPI read model: kpi_facts

Revision ID: 0002_kpis
Revises: 0001
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002_kpis'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('kpi_facts',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.String(length=100), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=True),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kind', 'entity_id', name=op.f('pk_kpi_facts'))
    )
    op.create_index('ix_kpi_facts_division', 'kpi_facts', ['division_code', 'kind'], unique=False)
    op.create_index('ix_kpi_facts_household', 'kpi_facts', ['household_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_kpi_facts_household', table_name='kpi_facts')
    op.drop_index('ix_kpi_facts_division', table_name='kpi_facts')
    op.drop_table('kpi_facts')
