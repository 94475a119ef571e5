"""claims: when planned maintenance was announced, accepted or objected to

Revision ID: 0007_claims
Revises: 0006
Create Date: 2026-12-06 23:00:00.000000

Planned maintenance is excluded from downtime only when the contract's conditions hold
(004 §3.6/§3.7: announced at least 5 days ahead, no objection 48 h before; §3.12/§3.13 and
003 §18: accepted by the customer). The register records the three instants; all
nullable, so the entries recorded before keep their meaning (no announcement recorded:
planned maintenance counts as downtime).
"""

import sqlalchemy as sa
from alembic import op

import triage.store.types

revision = '0007_claims'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = ('announced_at', 'accepted_at', 'objected_at')


def upgrade() -> None:
    with op.batch_alter_table('outages') as batch:
        for name in COLUMNS:
            batch.add_column(
                sa.Column(name, triage.store.types.UTCDateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    with op.batch_alter_table('outages') as batch:
        for name in COLUMNS:
            batch.drop_column(name)
