"""policy_rulesets: the replica of the published policy versions (policy.ruleset.published), the rules' only source

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-04 10:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # the columns of shared.policy_client.define_policy_table
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
