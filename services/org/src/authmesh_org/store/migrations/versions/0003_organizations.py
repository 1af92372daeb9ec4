"""Organizations, members, invitations, teams, team members and custom roles.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "org"
_ORGANIZATION = "org.organizations.id"


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _organization_id() -> sa.Column[object]:
    return sa.Column(
        "organization_id",
        sa.Text,
        sa.ForeignKey(_ORGANIZATION, ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("slug", sa.Text, nullable=False),
        sa.Column("logo", sa.Text),
        sa.Column("metadata", sa.Text),
        _created_at(),
        schema=SCHEMA,
    )
    op.create_index("organizations_slug", "organizations", ["slug"], unique=True, schema=SCHEMA)
    op.create_table(
        "members",
        sa.Column("id", sa.Text, primary_key=True),
        _organization_id(),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        _created_at(),
        schema=SCHEMA,
    )
    op.create_index(
        "members_organization_user",
        "members",
        ["organization_id", "user_id"],
        unique=True,
        schema=SCHEMA,
    )
    op.create_index(
        "members_organization_created_at",
        "members",
        ["organization_id", "created_at"],
        schema=SCHEMA,
    )
    op.create_index("members_user_id", "members", ["user_id"], schema=SCHEMA)
    op.create_table(
        "invitations",
        sa.Column("id", sa.Text, primary_key=True),
        _organization_id(),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("team_id", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inviter_id", sa.Text, nullable=False),
        _created_at(),
        schema=SCHEMA,
    )
    op.create_index(
        "invitations_organization_email",
        "invitations",
        ["organization_id", "email"],
        schema=SCHEMA,
    )
    op.create_index("invitations_email_status", "invitations", ["email", "status"], schema=SCHEMA)
    op.create_index("invitations_expires_at", "invitations", ["expires_at"], schema=SCHEMA)
    op.create_table(
        "teams",
        sa.Column("id", sa.Text, primary_key=True),
        _organization_id(),
        sa.Column("name", sa.Text, nullable=False),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "teams_organization_name", "teams", ["organization_id", "name"], unique=True, schema=SCHEMA
    )
    op.create_table(
        "team_members",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "team_id", sa.Text, sa.ForeignKey("org.teams.id", ondelete="CASCADE"), nullable=False
        ),
        _organization_id(),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("role", sa.Text),
        _created_at(),
        schema=SCHEMA,
    )
    op.create_index(
        "team_members_team_user", "team_members", ["team_id", "user_id"], unique=True, schema=SCHEMA
    )
    op.create_index(
        "team_members_organization_user",
        "team_members",
        ["organization_id", "user_id"],
        schema=SCHEMA,
    )
    op.create_index("team_members_user_id", "team_members", ["user_id"], schema=SCHEMA)
    op.create_table(
        "roles",
        sa.Column("id", sa.Text, primary_key=True),
        _organization_id(),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("permission", sa.Text, nullable=False),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "roles_organization_role", "roles", ["organization_id", "role"], unique=True, schema=SCHEMA
    )


def downgrade() -> None:
    for table in ("roles", "team_members", "teams", "invitations", "members", "organizations"):
        op.drop_table(table, schema=SCHEMA)
