"""household file: the timeline entries, summaries and ID-number digests of the read model

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:04:30
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # the household file's read model (portal.staff.household_tables), fed by the services' events
    op.create_table('household_entries',
    sa.Column('entry_id', sa.String(length=200), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=128), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('service', sa.String(length=20), nullable=False),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('summary_id', sa.String(length=128), nullable=False),
    sa.Column('summary_values', sa.JSON(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('actor_subject', sa.String(length=128), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=True),
    sa.Column('entity_kind', sa.String(length=20), nullable=True),
    sa.Column('entity_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_household_entries')),
    )
    with op.batch_alter_table('household_entries', schema=None) as batch_op:
        batch_op.create_index('ix_household_entries_entity', ['entity_kind', 'entity_id'], unique=False)
        batch_op.create_index('ix_household_entries_household_at', ['household_id', 'occurred_at'], unique=False)

    op.create_table('household_people',
    sa.Column('id_digest', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id_digest', 'household_id', name=op.f('pk_household_people'))
    )
    op.create_table('household_summaries',
    sa.Column('household_id', sa.String(length=128), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('division_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file_number', sa.String(length=40), nullable=True),
    sa.Column('file_number_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifecycle_status', sa.String(length=40), nullable=True),
    sa.Column('lifecycle_status_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('head_name_masked', sa.String(length=64), nullable=True),
    sa.Column('head_id_number_masked', sa.String(length=18), nullable=True),
    sa.Column('head_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('case_id', sa.String(length=64), nullable=True),
    sa.Column('case_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('first_event_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_household_summaries')),
    )
    with op.batch_alter_table('household_summaries', schema=None) as batch_op:
        batch_op.create_index('ix_household_summaries_division_activity', ['division_code', 'last_event_at'], unique=False)
        batch_op.create_index('ix_household_summaries_file_number', ['file_number'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('household_summaries', schema=None) as batch_op:
        batch_op.drop_index('ix_household_summaries_file_number')
        batch_op.drop_index('ix_household_summaries_division_activity')

    op.drop_table('household_summaries')
    op.drop_table('household_people')
    with op.batch_alter_table('household_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_household_entries_household_at')
        batch_op.drop_index('ix_household_entries_entity')

    op.drop_table('household_entries')
