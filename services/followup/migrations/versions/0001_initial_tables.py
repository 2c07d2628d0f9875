"""initial tables: plans, their members, exits and schedule, check-ins, partner signals, relapse episodes,
outbox, inbox, idempotency keys and the audit trail

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 14:26:40.983436
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
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_entity', ['entity_type', 'entity_id', 'id'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('inbox',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('consumer', sa.String(length=200), nullable=False),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('partition', sa.Integer(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'consumer', name=op.f('pk_inbox'))
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
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_unsent', ['sent_at', 'id'], unique=False)

    op.create_table('plans',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('programmes', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('rule_programme', sa.String(length=20), nullable=False),
    sa.Column('file_number', sa.String(length=40), nullable=True),
    sa.Column('members', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('member_count', sa.Integer(), nullable=True),
    sa.Column('baseline_per_capita_monthly_income_yuan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('last_household_monthly_income_yuan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('rule_version', sa.String(length=120), nullable=False),
    sa.Column('interval_months', sa.Integer(), nullable=False),
    sa.Column('duration_months', sa.Integer(), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('early_days', sa.Integer(), nullable=False),
    sa.Column('anchor_on', sa.Date(), nullable=False),
    sa.Column('last_k', sa.Integer(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cycle_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('open_relapse_id', sa.String(length=64), nullable=True),
    sa.Column('relapse_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('household_id', name='uq_plans_household_id')
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_plans_ends_on'), ['ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_plans_status'), ['status'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.Column('recorded_by_role', sa.String(length=20), nullable=False),
    sa.Column('observed', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('fulfils', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('assessment', sa.JSON(), nullable=False),
    sa.Column('at_risk', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('rule_version', sa.String(length=120), nullable=False),
    sa.Column('relapse_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_checkins_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkins_plan_id'), ['plan_id'], unique=False)

    op.create_table('partner_signals',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('source_department', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('amounts', sa.JSON(), server_default='{}', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assessment', sa.JSON(), nullable=False),
    sa.Column('at_risk', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('rule_version', sa.String(length=120), nullable=False),
    sa.Column('relapse_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_partner_signals_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_signals')),
    sa.UniqueConstraint('source_department', 'external_id', name='uq_partner_signals_source')
    )
    with op.batch_alter_table('partner_signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_signals_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_exits',
    sa.Column('exit_id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('programme', sa.String(length=20), nullable=False),
    sa.Column('exited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('effect', sa.String(length=20), nullable=False),
    sa.Column('remaining_programmes', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('per_capita_monthly_income_yuan', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('rule_version', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_exits_plan_id_plans')),
    sa.PrimaryKeyConstraint('exit_id', name=op.f('pk_plan_exits'))
    )
    with op.batch_alter_table('plan_exits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_exits_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_members',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=True),
    sa.Column('relationship', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_members_plan_id_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'id_number', name=op.f('pk_plan_members'))
    )
    with op.batch_alter_table('plan_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_members_id_number'), ['id_number'], unique=False)

    op.create_table('relapses',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('risk_kind', sa.String(length=20), nullable=False),
    sa.Column('risk_kinds', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('rule_version', sa.String(length=120), nullable=False),
    sa.Column('source_type', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=128), nullable=True),
    sa.Column('close_outcome', sa.String(length=20), nullable=True),
    sa.Column('close_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_relapses_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relapses'))
    )
    with op.batch_alter_table('relapses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relapses_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_relapses_plan_id'), ['plan_id'], unique=False)

    op.create_table('scheduled_checkins',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('k', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('window_opens', sa.Date(), nullable=False),
    sa.Column('overdue_after', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('checkin_id', sa.String(length=64), nullable=True),
    sa.Column('late', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('overdue_reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_scheduled_checkins_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_checkins')),
    sa.UniqueConstraint('plan_id', 'seq', name='uq_scheduled_checkins_plan_id_seq')
    )
    with op.batch_alter_table('scheduled_checkins', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_checkins_pending', ['status', 'overdue_after'], unique=False)
        batch_op.create_index(batch_op.f('ix_scheduled_checkins_plan_id'), ['plan_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scheduled_checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduled_checkins_plan_id'))
        batch_op.drop_index('ix_scheduled_checkins_pending')

    op.drop_table('scheduled_checkins')
    with op.batch_alter_table('relapses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_relapses_plan_id'))
        batch_op.drop_index(batch_op.f('ix_relapses_household_id'))

    op.drop_table('relapses')
    with op.batch_alter_table('plan_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_members_id_number'))

    op.drop_table('plan_members')
    with op.batch_alter_table('plan_exits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_exits_plan_id'))

    op.drop_table('plan_exits')
    with op.batch_alter_table('partner_signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_signals_plan_id'))

    op.drop_table('partner_signals')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkins_plan_id'))

    op.drop_table('checkins')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_status'))
        batch_op.drop_index(batch_op.f('ix_plans_ends_on'))
        batch_op.drop_index(batch_op.f('ix_plans_division_code'))

    op.drop_table('plans')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unsent')

    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')

    op.drop_table('audit_log')
