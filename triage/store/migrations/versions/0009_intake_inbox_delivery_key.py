"""inbox delivery key: answer a redelivered webhook at once with its first receipt

Revision ID: 0009_intake
Revises: 0008_classifier
Create Date: 2026-12-06 23:10:00.000000

The HMAC webhooks answer 202 with a receipt once the payload is stored, and ingest it
later in batches. A delivery already seen must be answered with what is known about it
(its receipt, its ticket once ingested) without parsing it: ``delivery_key`` is the
channel's cheap identity of a delivery (chat message id, CTI event and call id, the
SHA-256 of a raw e-mail), looked up by ``ix_inbox_delivery``. NULL for rows stored
before, and for payloads that failed the shape check.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009_intake'
down_revision = '0008_classifier'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('inbox', sa.Column('delivery_key', sa.String(length=500), nullable=True))
    op.create_index('ix_inbox_delivery', 'inbox', ['channel', 'delivery_key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbox_delivery', table_name='inbox')
    op.drop_column('inbox', 'delivery_key')
