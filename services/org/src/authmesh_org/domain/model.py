"""The org service's records (Better-Auth's organization, member, invitation, team,
teamMember and organizationRole) and its policy. User ids name identity users."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from authmesh_org.domain.access import Statements

PENDING = "pending"
ACCEPTED = "accepted"
REJECTED = "rejected"
CANCELED = "canceled"


@dataclass(frozen=True)
class OrgPolicy:
    allow_create: bool
    organization_limit: int  # 0: unlimited
    membership_limit: int
    invitation_limit: int
    invitation_lifetime: timedelta
    maximum_teams: int
    maximum_members_per_team: int
    allow_removing_all_teams: bool
    maximum_roles: int


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    slug: str
    logo: str | None
    metadata: str | None  # a JSON object, as given
    created_at: datetime


@dataclass(frozen=True)
class Member:
    id: str
    organization_id: str
    user_id: str
    role: str  # role names joined by ","
    created_at: datetime


@dataclass(frozen=True)
class Invitation:
    id: str
    organization_id: str
    email: str
    role: str
    team_id: str | None  # team ids joined by ","
    status: str
    expires_at: datetime
    created_at: datetime
    inviter_id: str


@dataclass(frozen=True)
class Team:
    id: str
    organization_id: str
    name: str
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class TeamMember:
    id: str
    team_id: str
    user_id: str
    role: str | None  # team-scoped roles, or None: the organization role applies
    created_at: datetime


@dataclass(frozen=True)
class CustomRole:
    id: str
    organization_id: str
    role: str
    permission: Statements
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class OrganizationUpdate:
    name: str | None = None
    slug: str | None = None
    logo: str | None = None  # "" clears
    metadata: str | None = None


@dataclass(frozen=True)
class MemberQuery:
    """A validated listing (domain/member_query.py): allow-listed names only."""

    limit: int
    offset: int
    sort_by: str
    descending: bool
    filter_field: str | None
    filter_operator: str
    filter_values: tuple[object, ...]


@dataclass(frozen=True)
class Access:
    """What CheckPermission needs about one user in one organization (or team)."""

    member: bool
    role: str  # the applicable role field: the team role when one is set, else the org role
