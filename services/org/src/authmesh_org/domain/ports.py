"""What the org use cases need from storage, as Protocols.

One `OrgTransaction` is one database transaction: a state change, its events and its notify
messages commit together or not at all. Changes to an organization's members, roles, teams or
invitations first lock the organization's row (`lock_organization`), so that they run one at a
time per organization: the last-owner rule and the limits are checked against a state no
concurrent change can alter before this one commits.
"""

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message
from authmesh_org.domain.access import Statements
from authmesh_org.domain.model import (
    CustomRole,
    Invitation,
    Member,
    MemberQuery,
    Organization,
    OrganizationUpdate,
    Team,
    TeamMember,
)


class OrganizationRows(Protocol):
    async def now(self) -> datetime: ...

    async def insert_organization(self, organization: Organization) -> bool:
        """False when the slug is taken."""
        ...

    async def slug_taken(self, slug: str) -> bool: ...

    async def organization(self, organization_id: str) -> Organization | None: ...

    async def organization_by_slug(self, slug: str) -> Organization | None: ...

    async def lock_organization(self, organization_id: str) -> Organization | None: ...

    async def update_organization(
        self, organization_id: str, update: OrganizationUpdate
    ) -> Organization | None:
        """None when the new slug is taken."""
        ...

    async def delete_organization(self, organization_id: str) -> None:
        """With its members, invitations, teams and roles."""
        ...

    async def organizations_of(self, user_id: str) -> list[Organization]: ...

    async def lock_memberships_of(self, user_id: str) -> None:
        """Serializes, until commit, the transactions that add memberships to the user (the
        organizations-per-user limit)."""
        ...

    async def count_memberships(self, user_id: str) -> int: ...


class MemberRows(Protocol):
    async def member(self, organization_id: str, user_id: str) -> Member | None: ...

    async def member_by_id(self, organization_id: str, member_id: str) -> Member | None: ...

    async def insert_member(self, member: Member) -> None: ...

    async def set_member_role(self, member_id: str, role: str) -> Member: ...

    async def delete_member(self, member: Member) -> None:
        """The membership and the user's team memberships in that organization."""
        ...

    async def count_members(self, organization_id: str) -> int: ...

    async def count_owners(self, organization_id: str) -> int: ...

    async def list_members(
        self, organization_id: str, query: MemberQuery
    ) -> tuple[list[Member], int]: ...

    async def memberships_of(self, user_id: str) -> list[Member]: ...


class InvitationRows(Protocol):
    async def insert_invitation(self, invitation: Invitation) -> None: ...

    async def invitation(self, invitation_id: str) -> Invitation | None: ...

    async def pending_invitation(self, organization_id: str, email: str) -> Invitation | None:
        """The live (pending, unexpired) invitation of `email` to the organization."""
        ...

    async def count_pending_invitations(self, organization_id: str) -> int: ...

    async def renew_invitation(
        self, invitation_id: str, role: str, team_id: str | None, expires_at: datetime
    ) -> Invitation: ...

    async def settle_invitation(self, invitation_id: str, status: str) -> Invitation | None:
        """pending → `status` if still pending and unexpired, in one conditional UPDATE: of
        any number of concurrent calls exactly one gets the invitation, the others None."""
        ...

    async def invitations_of(self, organization_id: str) -> list[Invitation]: ...

    async def pending_invitations_to(self, email: str) -> list[Invitation]: ...


class TeamRows(Protocol):
    async def insert_team(self, team: Team) -> bool:
        """False when the organization has a team of that name."""
        ...

    async def team(self, team_id: str) -> Team | None: ...

    async def rename_team(self, team_id: str, name: str) -> Team | None:
        """None when the organization has another team of that name."""
        ...

    async def delete_team(self, team_id: str) -> None: ...

    async def count_teams(self, organization_id: str) -> int: ...

    async def teams_of(self, organization_id: str) -> list[Team]: ...

    async def teams_of_user(self, user_id: str) -> list[Team]: ...

    async def team_member(self, team_id: str, user_id: str) -> TeamMember | None: ...

    async def insert_team_member(self, organization_id: str, member: TeamMember) -> None: ...

    async def delete_team_member(self, team_id: str, user_id: str) -> bool: ...

    async def count_team_members(self, team_id: str) -> int: ...

    async def team_members(self, team_id: str) -> list[TeamMember]: ...

    async def set_team_member_role(
        self, team_id: str, user_id: str, role: str | None
    ) -> TeamMember | None: ...


class RoleRows(Protocol):
    async def insert_role(self, role: CustomRole) -> bool:
        """False when the organization has a role of that name."""
        ...

    async def role_by_id(self, organization_id: str, role_id: str) -> CustomRole | None: ...

    async def role_by_name(self, organization_id: str, name: str) -> CustomRole | None: ...

    async def roles_of(self, organization_id: str) -> list[CustomRole]: ...

    async def count_roles(self, organization_id: str) -> int: ...

    async def update_role(
        self, role_id: str, name: str, permission: Statements
    ) -> CustomRole | None:
        """None when the organization has another role of that name."""
        ...

    async def rename_role_holders(self, organization_id: str, old: str, new: str) -> None:
        """Members, team members and pending invitations holding `old` hold `new`."""
        ...

    async def role_is_held(self, organization_id: str, name: str) -> bool:
        """A member, team member or pending invitation holds the role."""
        ...

    async def delete_role(self, role_id: str) -> None: ...


class OrgTransaction(OrganizationRows, MemberRows, InvitationRows, TeamRows, RoleRows, Protocol):
    async def add_events(self, *events: Envelope) -> None: ...

    async def add_messages(self, *messages: Message) -> None: ...


class OrgUnitOfWork(Protocol):
    def begin(self) -> AbstractAsyncContextManager[OrgTransaction]: ...


class AccessReader(Protocol):
    """What CheckPermission reads on a cache miss, each a single indexed lookup."""

    async def member_role(self, organization_id: str, user_id: str) -> str | None: ...

    async def team_role(
        self, organization_id: str, team_id: str, user_id: str
    ) -> tuple[bool, str | None]:
        """(the user is in the team of that organization, their team role)."""
        ...

    async def custom_roles(self, organization_id: str) -> dict[str, Statements]: ...
