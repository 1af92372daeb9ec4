"""The org schema: organizations, members, invitations, teams, team members and custom roles
(Better-Auth's organization plugin model, api.md §8), and the kit's outbox and processed
events. `user_id` and `inviter_id` columns name identity users (no foreign key across
services); a deleted user's memberships go with identity's user.deleted (events/handlers.py).

Every request path reads through an index: members by (organization_id, …) and by user_id,
invitations by organization and by address, teams and roles by organization.
"""

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    Table,
    Text,
    func,
)

from authmesh_kit.db.kit_tables import outbox_table, processed_events_table

SCHEMA = "org"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


organizations = Table(
    "organizations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False),
    Column("logo", Text),
    Column("metadata", Text),  # a JSON object, as given
    _created_at(),
    Index("organizations_slug", "slug", unique=True),
)


def _organization_id() -> Column[object]:
    return Column(
        "organization_id",
        Text,
        ForeignKey("org.organizations.id", ondelete="CASCADE"),
        nullable=False,
    )


members = Table(
    "members",
    metadata,
    Column("id", Text, primary_key=True),
    _organization_id(),
    Column("user_id", Text, nullable=False),
    Column("role", Text, nullable=False),  # role names joined by ","
    _created_at(),
    Index("members_organization_user", "organization_id", "user_id", unique=True),
    Index("members_organization_created_at", "organization_id", "created_at"),
    Index("members_user_id", "user_id"),
)

invitations = Table(
    "invitations",
    metadata,
    Column("id", Text, primary_key=True),  # 192 random bits
    _organization_id(),
    Column("email", Text, nullable=False),  # lower-cased
    Column("role", Text, nullable=False),
    Column("team_id", Text),  # team ids joined by ","
    Column("status", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("inviter_id", Text, nullable=False),
    _created_at(),
    Index("invitations_organization_email", "organization_id", "email"),
    Index("invitations_email_status", "email", "status"),
    Index("invitations_expires_at", "expires_at"),  # the purge of dead invitations
)

teams = Table(
    "teams",
    metadata,
    Column("id", Text, primary_key=True),
    _organization_id(),
    Column("name", Text, nullable=False),
    _created_at(),
    Column("updated_at", DateTime(timezone=True)),
    Index("teams_organization_name", "organization_id", "name", unique=True),
)

team_members = Table(
    "team_members",
    metadata,
    Column("id", Text, primary_key=True),
    Column("team_id", Text, ForeignKey("org.teams.id", ondelete="CASCADE"), nullable=False),
    _organization_id(),
    Column("user_id", Text, nullable=False),
    Column("role", Text),  # team-scoped roles; NULL: the organization role applies
    _created_at(),
    Index("team_members_team_user", "team_id", "user_id", unique=True),
    Index("team_members_organization_user", "organization_id", "user_id"),
    Index("team_members_user_id", "user_id"),
)

roles = Table(
    "roles",
    metadata,
    Column("id", Text, primary_key=True),
    _organization_id(),
    Column("role", Text, nullable=False),
    Column("permission", Text, nullable=False),  # JSON {resource: [action, ...]}
    _created_at(),
    Column("updated_at", DateTime(timezone=True)),
    Index("roles_organization_role", "organization_id", "role", unique=True),
)
