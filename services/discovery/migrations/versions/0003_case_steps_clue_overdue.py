"""where a household's case stands (every identification step, withdrawals), and overdue clue verification tasks

Existing households in identification keep their status as the case step, dated by their last update.

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
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('case_status_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('clues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overdue_reported_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE households SET case_status = lifecycle_status, case_status_at = updated_at "
               "WHERE case_id IS NOT NULL AND lifecycle_status IN ('in_identification', 'in_notice', 'enrolled', 'rejected')")
    op.execute("UPDATE households SET case_status = 'enrolled', case_status_at = updated_at "
               "WHERE case_id IS NOT NULL AND lifecycle_status = 'follow_up'")


def downgrade() -> None:
    with op.batch_alter_table('clues', schema=None) as batch_op:
        batch_op.drop_column('overdue_reported_at')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('case_status_at')
        batch_op.drop_column('case_status')
