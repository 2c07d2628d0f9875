"""economic-status checks: verification requests, per-department status and answers; the case's data-check authorisation

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('cases', sa.Column('data_check_authorisation', sa.JSON(), nullable=True))
    op.create_table(
        'verification_requests',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.String(length=64), nullable=False),
        sa.Column('household_id', sa.String(length=64), nullable=False),
        sa.Column('division_code', sa.String(length=12), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('rule_version', sa.String(length=60), nullable=False),
        sa.Column('authorisation', sa.JSON(), nullable=False),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.Column('fact_kinds', sa.JSON(), nullable=False),
        sa.Column('declared', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_verification_requests_case_id', 'verification_requests', ['case_id'])
    op.create_index('ix_verification_requests_household_id', 'verification_requests', ['household_id'])
    op.create_index('ix_verification_requests_division_code', 'verification_requests', ['division_code'])
    op.create_table(
        'verification_departments',
        sa.Column('request_id', sa.String(length=64), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.Column('fact_kinds', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('overdue_reported_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['request_id'], ['verification_requests.id']),
        sa.PrimaryKeyConstraint('request_id', 'department'))
    op.create_index('ix_verification_departments_status', 'verification_departments', ['status'])
    op.create_table(
        'verification_answers',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reported_on', sa.Date(), nullable=False),
        sa.Column('answered_by', sa.String(length=128), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.Column('discrepancies', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['verification_requests.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_id', 'department', name='uq_verification_answers_department'))
    op.create_index('ix_verification_answers_request_id', 'verification_answers', ['request_id'])


def downgrade() -> None:
    op.drop_table('verification_answers')
    op.drop_table('verification_departments')
    op.drop_table('verification_requests')
    op.drop_column('cases', 'data_check_authorisation')
