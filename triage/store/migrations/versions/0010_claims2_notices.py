"""claims2: notices of breach (reklamasjon), one per breached ticket

Revision ID: 0010_claims2
Revises: 0009_intake
Create Date: 2026-12-07 10:00:00.000000

A notice is drafted the day a deadline on a contract with a penalty or credit passes
without response (issue 16): the claim must be made without undue delay (004 overarching
agreement §8.1) and within 10 working days (Nettsoft's general terms). The sent e-mail
is kept in ``message``.
"""

import sqlalchemy as sa
from alembic import op

import triage.store.types

revision = '0010_claims2'
down_revision = '0009_intake'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'claim_notices',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('contract_id', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('breach_on', sa.Date(), nullable=False),
        sa.Column('due_at', triage.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('claim_promptly_by', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('drafted_at', triage.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('requested_by', sa.String(length=100), nullable=True),
        sa.Column('requested_at', triage.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_at', triage.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_to', sa.String(length=320), nullable=True),
        sa.Column('message_id', sa.String(length=500), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_id', name='uq_claim_notices_ticket'),
    )
    op.create_index(
        'ix_claim_notices_contract_breach', 'claim_notices', ['contract_id', 'breach_on']
    )
    op.create_index('ix_claim_notices_status', 'claim_notices', ['status', 'requested_at'])


def downgrade() -> None:
    op.drop_index('ix_claim_notices_status', table_name='claim_notices')
    op.drop_index('ix_claim_notices_contract_breach', table_name='claim_notices')
    op.drop_table('claim_notices')
