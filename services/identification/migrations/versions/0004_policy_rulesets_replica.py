"""policy_rulesets: the replica of the policy service's published rule sets (shared.policy_client)

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-10 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # the columns of shared.policy_client.define_policy_table, exactly
    op.create_table(
        'policy_rulesets',
        sa.Column('rule_version', sa.String(length=40), nullable=False),
        sa.Column('region', sa.String(length=12), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('effective_to', sa.Date(), nullable=True),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('event_id', sa.String(length=64), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('rule_version'),
    )
    op.create_index(op.f('ix_policy_rulesets_region'), 'policy_rulesets', ['region'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_policy_rulesets_region'), table_name='policy_rulesets')
    op.drop_table('policy_rulesets')
