"""exit taper: the support schedule of gradual-exit observations, the monthly entitlements, the share paid

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('benefits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_share', sa.Numeric(precision=5, scale=4), nullable=True))
        batch_op.add_column(sa.Column('paid_amount_yuan', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('observation_id', sa.String(length=64), nullable=True))
    op.create_table('tapers',
    sa.Column('observation_id', sa.String(length=64), nullable=False),
    sa.Column('participation_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('programme', sa.String(length=20), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('rule_version', sa.String(length=80), nullable=False),
    sa.Column('current_month', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reasons', sa.JSON(), nullable=True),
    sa.Column('end_rule_version', sa.String(length=80), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('observation_id')
    )
    with op.batch_alter_table('tapers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tapers_household_id'), ['household_id'], unique=False)
    op.create_table('taper_months',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('observation_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('benefit_id', sa.String(length=64), nullable=True),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('share', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('full_amount_yuan', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount_yuan', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('change', sa.String(length=30), nullable=False),
    sa.Column('explanation_en', sa.Text(), nullable=False),
    sa.Column('explanation_zh', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['observation_id'], ['tapers.observation_id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('taper_months', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_taper_months_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_taper_months_observation', ['observation_id', 'month'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('taper_months', schema=None) as batch_op:
        batch_op.drop_index('ix_taper_months_observation')
        batch_op.drop_index(batch_op.f('ix_taper_months_household_id'))
    op.drop_table('taper_months')
    with op.batch_alter_table('tapers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tapers_household_id'))
    op.drop_table('tapers')
    with op.batch_alter_table('benefits', schema=None) as batch_op:
        batch_op.drop_column('observation_id')
        batch_op.drop_column('paid_amount_yuan')
        batch_op.drop_column('paid_share')
