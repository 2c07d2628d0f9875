"""accuracy by sampling: the population read model, samples and their files

Revision ID: 0002_sampling
Revises: 0001
Create Date: 2026-12-02 18:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002_sampling'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('sampling_population',
    sa.Column('file_id', sa.String(length=90), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=True),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('file_number', sa.String(length=40), nullable=True),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('handlers', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('file_id', name=op.f('pk_sampling_population'))
    )
    op.create_index('ix_sampling_population_kind_area', 'sampling_population', ['kind', 'division_code', 'decided_on'])
    op.create_index(op.f('ix_sampling_population_case_id'), 'sampling_population', ['case_id'])
    op.create_index(op.f('ix_sampling_population_household_id'), 'sampling_population', ['household_id'])
    op.create_table('sampling_case_handlers',
    sa.Column('key', sa.String(length=90), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('handlers', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sampling_case_handlers'))
    )
    op.create_table('samples',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('area', sa.String(length=12), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stratify_by', sa.String(length=10), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('population_size', sa.Integer(), nullable=False),
    sa.Column('stratum_sizes', sa.JSON(), nullable=False),
    sa.Column('allocation', sa.JSON(), nullable=False),
    sa.Column('rule_version', sa.String(length=40), nullable=False),
    sa.Column('drawn_by', sa.String(length=128), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_samples'))
    )
    op.create_index(op.f('ix_samples_area'), 'samples', ['area'])
    op.create_table('sample_files',
    sa.Column('sample_id', sa.String(length=64), nullable=False),
    sa.Column('file_id', sa.String(length=90), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('stratum', sa.String(length=40), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('file_number', sa.String(length=40), nullable=True),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('case_handlers', sa.JSON(), nullable=False),
    sa.Column('assigned_to', sa.String(length=128), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('checked_by', sa.String(length=128), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['sample_id'], ['samples.id'], name=op.f('fk_sample_files_sample_id_samples')),
    sa.PrimaryKeyConstraint('sample_id', 'file_id', name=op.f('pk_sample_files'))
    )


def downgrade() -> None:
    op.drop_table('sample_files')
    op.drop_index(op.f('ix_samples_area'), table_name='samples')
    op.drop_table('samples')
    op.drop_table('sampling_case_handlers')
    op.drop_index(op.f('ix_sampling_population_household_id'), table_name='sampling_population')
    op.drop_index(op.f('ix_sampling_population_case_id'), table_name='sampling_population')
    op.drop_index('ix_sampling_population_kind_area', table_name='sampling_population')
    op.drop_table('sampling_population')
