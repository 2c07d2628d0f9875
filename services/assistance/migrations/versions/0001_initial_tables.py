"""initial tables: households, needs, providers and capacity, referrals, benefits, feedback, outbox, inbox, audit

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 15:20:57.931257
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('actor_area', sa.String(length=12), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('from_state', sa.String(length=40), nullable=True),
    sa.Column('to_state', sa.String(length=40), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('correlation_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_entity', ['entity_type', 'entity_id', 'id'], unique=False)

    op.create_table('capacity_usage',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('service_type', sa.String(length=30), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('used', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('provider_id', 'service_type', 'period')
    )
    op.create_table('households',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('file_number', sa.String(length=40), nullable=True),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('programmes', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('categories', sa.JSON(), server_default='{}', nullable=False),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('per_capita_monthly_income_yuan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('scores', sa.JSON(), server_default='{}', nullable=False),
    sa.Column('sudden_hardship', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('care_level', sa.String(length=20), nullable=True),
    sa.Column('identification_rule_version', sa.String(length=80), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_households_division_code'), ['division_code'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key')
    )
    op.create_table('inbox',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('consumer', sa.String(length=200), nullable=False),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('partition', sa.Integer(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'consumer')
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_unsent', ['sent_at', 'id'], unique=False)

    op.create_table('programme_exits',
    sa.Column('exit_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('programme', sa.String(length=20), nullable=False),
    sa.Column('remaining_programmes', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('exited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('exit_id')
    )
    with op.batch_alter_table('programme_exits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_exits_household_id'), ['household_id'], unique=False)

    op.create_table('providers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('owner_area', sa.String(length=12), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('constraints', sa.JSON(), server_default='{}', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_providers_owner_area'), ['owner_area'], unique=False)

    op.create_table('service_state',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('benefits',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('programme', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount_yuan', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('rule_version', sa.String(length=80), nullable=False),
    sa.Column('calculation', sa.JSON(), nullable=False),
    sa.Column('explanation_en', sa.Text(), nullable=False),
    sa.Column('explanation_zh', sa.Text(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stop_reason', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('benefits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_benefits_household_id'), ['household_id'], unique=False)

    op.create_table('enrolments',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('programmes', sa.JSON(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ),
    sa.PrimaryKeyConstraint('case_id')
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_household_id'), ['household_id'], unique=False)

    op.create_table('needs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('need_type', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('grounds', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('priority', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('priority_points', sa.Integer(), nullable=False),
    sa.Column('priority_detail', sa.JSON(), nullable=False),
    sa.Column('priority_signature', sa.String(length=64), server_default='', nullable=False),
    sa.Column('rule_version', sa.String(length=80), nullable=False),
    sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('excluded_providers', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('wait_reason', sa.JSON(), nullable=True),
    sa.Column('wait_code', sa.String(length=40), nullable=True),
    sa.Column('wait_signature', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_priority_points'), ['priority_points'], unique=False)
        batch_op.create_index('ix_needs_type_status', ['need_type', 'status'], unique=False)

    op.create_table('needs_assessments',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assessed_by', sa.String(length=128), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('rule_version', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('needs_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_assessments_household_id'), ['household_id'], unique=False)

    op.create_table('provider_services',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('service_type', sa.String(length=30), nullable=False),
    sa.Column('capacity_per_period', sa.Integer(), nullable=False),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('unit_cost_yuan', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], ),
    sa.PrimaryKeyConstraint('provider_id', 'service_type')
    )
    op.create_table('referrals',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('need_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('service_type', sa.String(length=30), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('reason', sa.JSON(), nullable=False),
    sa.Column('rule_version', sa.String(length=80), nullable=False),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery', sa.JSON(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], ),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_status'), ['status'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('referral_id', sa.String(length=64), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=128), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('complaint', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('complaint_status', sa.String(length=20), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=128), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('referral_id', 'source', 'author', name='uq_feedback_referral_source_author')
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_referral_id'), ['referral_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_referral_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_provider_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_status'))
        batch_op.drop_index(batch_op.f('ix_referrals_provider_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_need_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_household_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_division_code'))

    op.drop_table('referrals')
    op.drop_table('provider_services')
    with op.batch_alter_table('needs_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_assessments_household_id'))

    op.drop_table('needs_assessments')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_type_status')
        batch_op.drop_index(batch_op.f('ix_needs_priority_points'))
        batch_op.drop_index(batch_op.f('ix_needs_household_id'))
        batch_op.drop_index(batch_op.f('ix_needs_division_code'))

    op.drop_table('needs')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolments_household_id'))

    op.drop_table('enrolments')
    with op.batch_alter_table('benefits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_benefits_household_id'))

    op.drop_table('benefits')
    op.drop_table('service_state')
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_providers_owner_area'))

    op.drop_table('providers')
    with op.batch_alter_table('programme_exits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_exits_household_id'))

    op.drop_table('programme_exits')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unsent')

    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_division_code'))

    op.drop_table('households')
    op.drop_table('capacity_usage')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')

    op.drop_table('audit_log')
