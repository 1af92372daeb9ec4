"""Indexes for the admin listing of users (domain/admin_user_query.py): every sort, filter and
prefix search it allows is served by one, so a listing never reads the whole table (substring
search aside, which runs under a statement timeout). Sorts carry the id as tie-breaker, so
that offset pages are stable; prefix search (LIKE 'x%') needs text_pattern_ops whatever the
database's collation.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCHEMA = "identity"

# name → (columns or expressions, postgresql_ops)
INDEXES: dict[str, tuple[list[str], dict[str, str]]] = {
    "users_created_at_id": (["created_at", "id"], {}),
    "users_name_id": (["name", "id"], {}),
    "users_email_pattern": (["email"], {"email": "text_pattern_ops"}),
    "users_name_pattern": (["name"], {"name": "text_pattern_ops"}),
    "users_role": (["role"], {}),
    "users_banned": (["banned"], {}),
}


def upgrade() -> None:
    for name, (columns, ops) in INDEXES.items():
        op.create_index(name, "users", columns, schema=SCHEMA, postgresql_ops=ops)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, "users", schema=SCHEMA)
