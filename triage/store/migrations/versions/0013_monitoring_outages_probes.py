"""monitoring: outage source and fingerprint, open outages, probe status, heartbeats

Revision ID: 0013_monitoring
Revises: 0012_ui_user_locale
Create Date: 2026-12-06 23:00:00.000000

``outages.ends_at`` becomes nullable: an outage that monitoring opened and has not seen
end yet. Batch mode, because SQLite cannot alter a column in place.
"""

from alembic import op
import sqlalchemy as sa

import triage.store.types


revision = '0013_monitoring'
down_revision = '0012_ui_user_locale'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
Time = triage.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('outages') as batch:
        batch.add_column(
            sa.Column('source', sa.String(length=20), nullable=False, server_default='manual')
        )
        batch.add_column(sa.Column('fingerprint', sa.String(length=200), nullable=True))
        batch.alter_column('ends_at', existing_type=Time, nullable=True)
        batch.create_index('ix_outages_fingerprint', ['fingerprint'])
    op.create_table(
        'probe_status',
        sa.Column('contract_id', sa.String(length=100), nullable=False),
        sa.Column('down', sa.Boolean(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_failed_at', Time, nullable=True),
        sa.Column('fingerprint', sa.String(length=200), nullable=True),
        sa.Column('last_checked_at', Time, nullable=True),
        sa.Column('next_due_at', Time, nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('contract_id'),
    )
    op.create_table(
        'probe_transitions',
        sa.Column('id', Id, nullable=False),
        sa.Column('contract_id', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('at', Time, nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('recorded_at', Time, nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_probe_transitions_contract', 'probe_transitions', ['contract_id', 'at']
    )
    op.create_table(
        'heartbeats',
        sa.Column('part', sa.String(length=40), nullable=False),
        sa.Column('beat_at', Time, nullable=False),
        sa.Column('alarmed_at', Time, nullable=True),
        sa.PrimaryKeyConstraint('part'),
    )
    op.create_table(
        'notification_rules',
        sa.Column('id', Id, nullable=False),
        sa.Column('staff_id', Id, nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('delay_seconds', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('staff_id', 'channel', name='uq_notification_rules_staff_channel'),
    )
    op.create_table(
        'voice_calls',
        sa.Column('id', Id, nullable=False),
        sa.Column('ticket_id', Id, nullable=False),
        sa.Column('escalation_id', Id, nullable=False),
        sa.Column('staff_id', Id, nullable=False),
        sa.Column('recipient', sa.String(length=20), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('due_at', Time, nullable=False),
        sa.Column('provider_sid', sa.String(length=64), nullable=True),
        sa.Column('placed_at', Time, nullable=True),
        sa.Column('digits', sa.String(length=10), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', Time, nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalation_points.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'escalation_id', 'staff_id', 'attempt', name='uq_voice_calls_point_staff_attempt'
        ),
    )
    op.create_index('ix_voice_calls_provider_sid', 'voice_calls', ['provider_sid'])


def downgrade() -> None:
    op.drop_index('ix_voice_calls_provider_sid', table_name='voice_calls')
    op.drop_table('voice_calls')
    op.drop_table('notification_rules')
    op.drop_table('heartbeats')
    op.drop_index('ix_probe_transitions_contract', table_name='probe_transitions')
    op.drop_table('probe_transitions')
    op.drop_table('probe_status')
    op.execute("DELETE FROM outages WHERE ends_at IS NULL")
    with op.batch_alter_table('outages') as batch:
        batch.drop_index('ix_outages_fingerprint')
        batch.alter_column('ends_at', existing_type=Time, nullable=False)
        batch.drop_column('fingerprint')
        batch.drop_column('source')
