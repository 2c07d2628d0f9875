"""rechecks: a re-check of an enrolled household opened by an accepted 错保 petition (oversight)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'rechecks',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.String(length=64), nullable=False),
        sa.Column('household_id', sa.String(length=64), nullable=False),
        sa.Column('division_code', sa.String(length=12), nullable=False),
        sa.Column('petition_id', sa.String(length=64), nullable=False),
        sa.Column('tracking_number', sa.String(length=24), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('petition_id', name='uq_rechecks_petition_id'),
    )
    with op.batch_alter_table('rechecks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rechecks_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rechecks_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rechecks_division_code'), ['division_code'], unique=False)


def downgrade() -> None:
    op.drop_table('rechecks')
