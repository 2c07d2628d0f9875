"""notices: kind (prior / post_hoc), days of the period, why it closed

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('notices') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=20), server_default='prior', nullable=False))
        batch.add_column(sa.Column('days', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('closed_reason', sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notices') as batch:
        batch.drop_column('closed_reason')
        batch.drop_column('days')
        batch.drop_column('kind')
