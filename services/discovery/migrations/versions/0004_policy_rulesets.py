"""replica of the policy service's published rule sets (policy.ruleset.published): screening reads its rules from it

The screening rule files of the package (screening_rules/*.json) are gone; until a version is published the shipped
bundle (shared/policy_bundle) applies.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('policy_rulesets',
    sa.Column('rule_version', sa.String(length=40), nullable=False),
    sa.Column('region', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('rule_version')
    )
    with op.batch_alter_table('policy_rulesets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_rulesets_region'), ['region'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('policy_rulesets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_rulesets_region'))
    op.drop_table('policy_rulesets')
