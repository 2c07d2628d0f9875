"""reassessments: each run of the re-assessment command (area, day, counts, rule versions, summary)

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-20 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'reassessments',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('division_code', sa.String(length=12), nullable=False),
        sa.Column('run_on', sa.Date(), nullable=False),
        sa.Column('requested_by', sa.String(length=128), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('considered', sa.Integer(), nullable=False),
        sa.Column('flagged', sa.Integer(), nullable=False),
        sa.Column('no_longer_eligible', sa.Integer(), nullable=False),
        sa.Column('rule_versions', sa.JSON(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_reassessments_division_code'), 'reassessments', ['division_code'], unique=False)
    op.create_index(op.f('ix_reassessments_requested_at'), 'reassessments', ['requested_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reassessments_requested_at'), table_name='reassessments')
    op.drop_index(op.f('ix_reassessments_division_code'), table_name='reassessments')
    op.drop_table('reassessments')
