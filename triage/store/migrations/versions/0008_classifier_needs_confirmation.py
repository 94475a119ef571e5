"""classifier: tickets.needs_confirmation

Revision ID: 0008_classifier
Revises: 0007_claims
Create Date: 2026-12-06 23:00:00.000000

A classification whose confidence is below the catalog's ``classification.confirm_below``
runs the critical clock until an agent confirms or downgrades it; the flag says which
tickets are waiting for that, so the queue can show them. Existing tickets were classified
by the rules alone and are taken as confirmed (false).
"""

from alembic import op
import sqlalchemy as sa


revision = '0008_classifier'
down_revision = '0007_claims'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column(
                "needs_confirmation", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("needs_confirmation")
