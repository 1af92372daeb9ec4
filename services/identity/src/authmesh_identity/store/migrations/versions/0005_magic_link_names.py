"""The name a magic link to a new address gives the user it creates (Better-Auth keeps it with
the token).

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    op.add_column("one_time_tokens", sa.Column("new_user_name", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("one_time_tokens", "new_user_name", schema=SCHEMA)
