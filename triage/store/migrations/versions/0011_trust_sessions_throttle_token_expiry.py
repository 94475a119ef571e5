"""trust: session generation, login throttle, API token expiry

Revision ID: 0011_trust
Revises: 0010_claims2
Create Date: 2026-12-06 23:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

import triage.store.types


revision = '0011_trust'
down_revision = '0010_claims2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(
            sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False)
        )
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(
            sa.Column('expires_at', triage.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table('login_throttle',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', triage.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', triage.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('expires_at')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('session_generation')
