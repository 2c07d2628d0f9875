"""clues about a whole household (a re-assessment under a new policy version): no person's ID number

Downgrading gives those clues an empty ID number (the column is required again).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-12 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('clues', schema=None) as batch_op:
        batch_op.alter_column('id_number', existing_type=sa.String(length=18), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE clues SET id_number = '' WHERE id_number IS NULL")
    with op.batch_alter_table('clues', schema=None) as batch_op:
        batch_op.alter_column('id_number', existing_type=sa.String(length=18), nullable=False)
