"""reassessments: a county officer's re-assessment of cash benefits when a standard changes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('reassessments',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('area', sa.String(length=12), nullable=False),
    sa.Column('run_on', sa.Date(), nullable=False),
    sa.Column('requested_by', sa.String(length=128), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('considered', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('rule_versions', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_reassessments_area'), 'reassessments', ['area'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reassessments_area'), table_name='reassessments')
    op.drop_table('reassessments')
