"""ui: each user's language for the web desk

Revision ID: 0012_ui_user_locale
Revises: 0011_trust
Create Date: 2026-12-06 23:10:00.000000

``users.locale``: the language the desk speaks to this person (``nb`` or ``en``); NULL is
the desk's default, Norwegian bokmål. Chosen with the language switch in the page header.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_ui_user_locale"
down_revision = "0011_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale")
