"""forward outbox: the fault report to the vendor leaves from the notify queue

Revision ID: 0014_forward_outbox
Revises: 0013_monitoring
Create Date: 2026-12-08 10:00:00.000000

Forwarding a ticket to the vendor's support address (issue 18) writes a row first and
sends from the notify queue, with retries; the row keeps the Message-ID (the thread key
of the vendor's reply, issue 15), the state and the last error.
"""

import sqlalchemy as sa
from alembic import op

import triage.store.types

revision = '0014_forward_outbox'
down_revision = '0013_monitoring'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
Time = triage.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'vendor_forwards',
        sa.Column('id', Id, nullable=False),
        sa.Column('ticket_id', Id, nullable=False),
        sa.Column('message_id', sa.String(length=500), nullable=False),
        sa.Column('to_address', sa.String(length=320), nullable=False),
        sa.Column('from_address', sa.String(length=320), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('missing', sa.JSON(), nullable=False),
        sa.Column('forward_by', Time, nullable=True),
        sa.Column('requested_by', sa.String(length=100), nullable=False),
        sa.Column('requested_at', Time, nullable=False),
        sa.Column('next_attempt_at', Time, nullable=False),
        sa.Column('claimed_at', Time, nullable=True),
        sa.Column('sent_at', Time, nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('updated_at', Time, nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
    )
    op.create_index('ix_vendor_forwards_ticket_id', 'vendor_forwards', ['ticket_id'])
    op.create_index(
        'ix_vendor_forwards_status', 'vendor_forwards', ['status', 'next_attempt_at']
    )


def downgrade() -> None:
    op.drop_index('ix_vendor_forwards_status', table_name='vendor_forwards')
    op.drop_index('ix_vendor_forwards_ticket_id', table_name='vendor_forwards')
    op.drop_table('vendor_forwards')
