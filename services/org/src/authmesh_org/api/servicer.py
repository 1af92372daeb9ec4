"""The org.v1 OrgService servicer (org.proto): decode, call one use case, encode. One short
method per RPC of a 40-RPC service, hence the length; nothing else lives here.

Every change drops the organization from this replica's permission cache as soon as it
committed (read-your-writes here); the other replicas drop it on the change's event."""

import functools
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from google.protobuf.message import Message
from grpc.aio import ServicerContext
from prometheus_client import Histogram

from authmesh.org.v1 import org_pb2, org_pb2_grpc
from authmesh_kit.grpc.server import Registration
from authmesh_org.api import mappers
from authmesh_org.domain.member_query import member_query
from authmesh_org.domain.model import OrganizationUpdate
from authmesh_org.domain.permission_cache import PermissionCache
from authmesh_org.domain.ports import OrgUnitOfWork
from authmesh_org.domain.use_cases import (
    invitations,
    members,
    organizations,
    roles,
    teams,
)
from authmesh_org.domain.use_cases.common import OrgContext
from authmesh_org.domain.use_cases.invitations import Recipient

GATEWAY = frozenset({"gateway"})
_Context = ServicerContext[Any, Any]

CHECK_PERMISSION_SECONDS = Histogram(
    "authmesh_org_check_permission_seconds",
    "Time CheckPermission spends answering, in the servicer",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
)


def allowed_callers(permission_callers: Iterable[str]) -> dict[str, frozenset[str]]:
    """Every RPC is the gateway's; CheckPermission also the configured internal backends."""
    methods = org_pb2.DESCRIPTOR.services_by_name["OrgService"].methods_by_name
    callers = dict.fromkeys(methods, GATEWAY)
    callers["CheckPermission"] = GATEWAY | frozenset(permission_callers)
    return callers


def _role_ref(ref: org_pb2.RoleRef) -> roles.RoleRef:
    kind = ref.WhichOneof("ref")
    if kind == "role_id":
        return roles.RoleRef(role_id=ref.role_id)
    if kind == "role_name":
        return roles.RoleRef(role_name=ref.role_name)
    return roles.RoleRef()


def _org_ref(ref: org_pb2.OrganizationRef) -> dict[str, str]:
    kind = ref.WhichOneof("ref")
    if kind == "id":
        return {"organization_id": ref.id}
    if kind == "slug":
        return {"slug": ref.slug}
    return {}


def _recipient(request: Any) -> Recipient:
    return Recipient(mappers.caller(request), request.actor_email, request.actor_email_verified)


class OrgServicer(org_pb2_grpc.OrgServiceServicer):
    def __init__(self, uow: OrgUnitOfWork, ctx: OrgContext, cache: PermissionCache) -> None:
        self._uow = uow
        self._ctx = ctx
        self._cache = cache

    # ---- Organizations

    async def CreateOrganization(
        self, request: org_pb2.CreateOrganizationRequest, context: _Context
    ) -> org_pb2.CreateOrganizationResponse:
        created = await organizations.create_organization(
            self._uow,
            self._ctx,
            mappers.caller(request),
            name=request.name,
            slug=request.slug,
            logo=mappers.optional(request, "logo"),
            metadata=mappers.optional(request, "metadata_json"),
        )
        self._cache.invalidate(created.organization.id)
        return org_pb2.CreateOrganizationResponse(
            organization=mappers.organization(created.organization),
            member=mappers.member(created.member),
            default_team=mappers.team(created.team),
        )

    async def CheckSlug(
        self, request: org_pb2.CheckSlugRequest, context: _Context
    ) -> org_pb2.CheckSlugResponse:
        await organizations.check_slug(self._uow, request.slug)
        return org_pb2.CheckSlugResponse()

    async def UpdateOrganization(
        self, request: org_pb2.UpdateOrganizationRequest, context: _Context
    ) -> org_pb2.Organization:
        update = OrganizationUpdate(
            name=mappers.optional(request, "name"),
            slug=mappers.optional(request, "slug"),
            logo=mappers.optional(request, "logo"),
            metadata=mappers.optional(request, "metadata_json"),
        )
        updated = await organizations.update_organization(
            self._uow, self._ctx, mappers.caller(request), request.organization_id, update
        )
        self._cache.invalidate(updated.id)
        return mappers.organization(updated)

    async def DeleteOrganization(
        self, request: org_pb2.DeleteOrganizationRequest, context: _Context
    ) -> org_pb2.Organization:
        deleted = await organizations.delete_organization(
            self._uow, self._ctx, mappers.caller(request), request.organization_id
        )
        self._cache.invalidate(deleted.id)
        return mappers.organization(deleted)

    async def GetMembership(
        self, request: org_pb2.GetMembershipRequest, context: _Context
    ) -> org_pb2.GetMembershipResponse:
        organization, member = await organizations.get_membership(
            self._uow,
            mappers.caller(request),
            user_id=mappers.optional(request, "user_id"),
            **_org_ref(request.organization),
        )
        return org_pb2.GetMembershipResponse(
            organization=mappers.organization(organization), member=mappers.member(member)
        )

    async def GetFullOrganization(
        self, request: org_pb2.GetFullOrganizationRequest, context: _Context
    ) -> org_pb2.GetFullOrganizationResponse:
        full = await organizations.get_full_organization(
            self._uow,
            self._ctx,
            mappers.caller(request),
            members_limit=mappers.optional(request, "members_limit"),
            **_org_ref(request.organization),
        )
        return org_pb2.GetFullOrganizationResponse(
            organization=mappers.organization(full.organization),
            members=[mappers.member(member) for member in full.members],
            invitations=[mappers.invitation(invitation) for invitation in full.invitations],
            teams=[mappers.team(team) for team in full.teams],
        )

    async def ListOrganizations(
        self, request: org_pb2.ListOrganizationsRequest, context: _Context
    ) -> org_pb2.ListOrganizationsResponse:
        found = await organizations.list_organizations(self._uow, mappers.caller(request))
        return org_pb2.ListOrganizationsResponse(
            organizations=[mappers.organization(organization) for organization in found]
        )

    # ---- Members

    async def ListMembers(
        self, request: org_pb2.ListMembersRequest, context: _Context
    ) -> org_pb2.ListMembersResponse:
        query = member_query(
            limit=mappers.optional(request, "limit"),
            offset=mappers.optional(request, "offset"),
            sort_by=mappers.optional(request, "sort_by"),
            sort_direction=mappers.optional(request, "sort_direction"),
            filter_field=mappers.optional(request, "filter_field"),
            filter_operator=mappers.optional(request, "filter_operator"),
            filter_value=mappers.optional(request, "filter_value"),
            default_limit=self._ctx.policy.membership_limit,
        )
        found, total = await members.list_members(
            self._uow, mappers.caller(request), request.organization_id, query
        )
        return org_pb2.ListMembersResponse(
            members=[mappers.member(member) for member in found], total=total
        )

    async def UpdateMemberRole(
        self, request: org_pb2.UpdateMemberRoleRequest, context: _Context
    ) -> org_pb2.Member:
        updated = await members.update_member_role(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.organization_id,
            request.member_id,
            list(request.roles),
        )
        self._cache.invalidate(updated.organization_id)
        return mappers.member(updated)

    async def RemoveMember(
        self, request: org_pb2.RemoveMemberRequest, context: _Context
    ) -> org_pb2.Member:
        removed = await members.remove_member(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.organization_id,
            member_id=request.member_id,
            user_id=request.user_id,
        )
        self._cache.invalidate(removed.organization_id)
        return mappers.member(removed)

    async def LeaveOrganization(
        self, request: org_pb2.LeaveOrganizationRequest, context: _Context
    ) -> org_pb2.Member:
        left = await members.leave_organization(
            self._uow, mappers.caller(request), request.organization_id
        )
        self._cache.invalidate(left.organization_id)
        return mappers.member(left)

    # ---- Permissions

    async def CheckPermission(
        self, request: org_pb2.CheckPermissionRequest, context: _Context
    ) -> org_pb2.CheckPermissionResponse:
        started = time.perf_counter()
        allowed, member = await self._cache.check(
            request.user_id,
            request.organization_id,
            request.team_id if request.HasField("team_id") else None,
            mappers.statements(request.permissions),
        )
        CHECK_PERMISSION_SECONDS.observe(time.perf_counter() - started)
        return org_pb2.CheckPermissionResponse(allowed=allowed, member=member)

    # ---- Custom roles

    async def CreateRole(
        self, request: org_pb2.CreateRoleRequest, context: _Context
    ) -> org_pb2.OrganizationRole:
        created = await roles.create_role(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.organization_id,
            request.role,
            mappers.statements(request.permission),
        )
        self._cache.invalidate(created.organization_id)
        return mappers.role(created)

    async def UpdateRole(
        self, request: org_pb2.UpdateRoleRequest, context: _Context
    ) -> org_pb2.OrganizationRole:
        permission = None
        if request.HasField("permission"):
            permission = mappers.statements(request.permission.statements)
        updated = await roles.update_role(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.organization_id,
            _role_ref(request.role),
            new_name=mappers.optional(request, "new_role_name"),
            permission=permission,
        )
        self._cache.invalidate(updated.organization_id)
        return mappers.role(updated)

    async def DeleteRole(
        self, request: org_pb2.DeleteRoleRequest, context: _Context
    ) -> org_pb2.DeleteRoleResponse:
        await roles.delete_role(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.organization_id,
            _role_ref(request.role),
        )
        self._cache.invalidate(request.organization_id)
        return org_pb2.DeleteRoleResponse()

    async def ListRoles(
        self, request: org_pb2.ListRolesRequest, context: _Context
    ) -> org_pb2.ListRolesResponse:
        found = await roles.list_roles(
            self._uow, self._ctx, mappers.caller(request), request.organization_id
        )
        return org_pb2.ListRolesResponse(roles=[mappers.role(role) for role in found])

    async def GetRole(
        self, request: org_pb2.GetRoleRequest, context: _Context
    ) -> org_pb2.OrganizationRole:
        found = await roles.get_role(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.organization_id,
            _role_ref(request.role),
        )
        return mappers.role(found)

    # ---- Invitations

    async def CreateInvitation(
        self, request: org_pb2.CreateInvitationRequest, context: _Context
    ) -> org_pb2.Invitation:
        created = await invitations.create_invitation(
            self._uow,
            self._ctx,
            mappers.caller(request),
            organization_id=request.organization_id,
            email=request.email,
            roles=list(request.roles),
            team_ids=list(request.team_ids),
            resend=request.resend,
            invitee_user_id=mappers.optional(request, "invitee_user_id"),
            inviter_name=request.inviter_name,
            inviter_email=request.inviter_email,
        )
        return mappers.invitation(created)

    async def GetInvitation(
        self, request: org_pb2.GetInvitationRequest, context: _Context
    ) -> org_pb2.GetInvitationResponse:
        invitation, organization = await invitations.get_invitation(
            self._uow, _recipient(request), request.invitation_id
        )
        return org_pb2.GetInvitationResponse(
            invitation=mappers.invitation(invitation),
            organization_name=organization.name,
            organization_slug=organization.slug,
        )

    async def AcceptInvitation(
        self, request: org_pb2.AcceptInvitationRequest, context: _Context
    ) -> org_pb2.AcceptInvitationResponse:
        accepted = await invitations.accept_invitation(
            self._uow, self._ctx, _recipient(request), request.invitation_id
        )
        self._cache.invalidate(accepted.member.organization_id)
        response = org_pb2.AcceptInvitationResponse(
            invitation=mappers.invitation(accepted.invitation),
            member=mappers.member(accepted.member),
        )
        if accepted.team_id is not None:
            response.team_id = accepted.team_id
        return response

    async def RejectInvitation(
        self, request: org_pb2.RejectInvitationRequest, context: _Context
    ) -> org_pb2.Invitation:
        rejected = await invitations.reject_invitation(
            self._uow, _recipient(request), request.invitation_id
        )
        return mappers.invitation(rejected)

    async def CancelInvitation(
        self, request: org_pb2.CancelInvitationRequest, context: _Context
    ) -> org_pb2.Invitation:
        canceled = await invitations.cancel_invitation(
            self._uow, self._ctx, mappers.caller(request), request.invitation_id
        )
        return mappers.invitation(canceled)

    async def ListInvitations(
        self, request: org_pb2.ListInvitationsRequest, context: _Context
    ) -> org_pb2.ListInvitationsResponse:
        found = await invitations.list_invitations(
            self._uow, mappers.caller(request), request.organization_id
        )
        return org_pb2.ListInvitationsResponse(
            invitations=[mappers.invitation(invitation) for invitation in found]
        )

    async def ListUserInvitations(
        self, request: org_pb2.ListUserInvitationsRequest, context: _Context
    ) -> org_pb2.ListUserInvitationsResponse:
        found = await invitations.list_user_invitations(self._uow, _recipient(request))
        return org_pb2.ListUserInvitationsResponse(
            invitations=[
                org_pb2.UserInvitation(
                    invitation=mappers.invitation(invitation),
                    organization_name=organization.name,
                    organization_slug=organization.slug,
                )
                for invitation, organization in found
            ]
        )

    # ---- Teams

    async def CreateTeam(
        self, request: org_pb2.CreateTeamRequest, context: _Context
    ) -> org_pb2.Team:
        created = await teams.create_team(
            self._uow, self._ctx, mappers.caller(request), request.organization_id, request.name
        )
        return mappers.team(created)

    async def UpdateTeam(
        self, request: org_pb2.UpdateTeamRequest, context: _Context
    ) -> org_pb2.Team:
        updated = await teams.update_team(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.team_id,
            mappers.optional(request, "organization_id"),
            mappers.optional(request, "name"),
        )
        return mappers.team(updated)

    async def RemoveTeam(
        self, request: org_pb2.RemoveTeamRequest, context: _Context
    ) -> org_pb2.Team:
        removed = await teams.remove_team(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.team_id,
            mappers.optional(request, "organization_id"),
        )
        self._cache.invalidate(removed.organization_id)
        return mappers.team(removed)

    async def ListTeams(
        self, request: org_pb2.ListTeamsRequest, context: _Context
    ) -> org_pb2.ListTeamsResponse:
        found = await teams.list_teams(self._uow, mappers.caller(request), request.organization_id)
        return org_pb2.ListTeamsResponse(teams=[mappers.team(team) for team in found])

    async def ListUserTeams(
        self, request: org_pb2.ListUserTeamsRequest, context: _Context
    ) -> org_pb2.ListTeamsResponse:
        found = await teams.list_user_teams(
            self._uow,
            self._ctx,
            mappers.caller(request),
            user_id=mappers.optional(request, "user_id"),
            organization_id=mappers.optional(request, "organization_id"),
        )
        return org_pb2.ListTeamsResponse(teams=[mappers.team(team) for team in found])

    async def GetTeamMembership(
        self, request: org_pb2.GetTeamMembershipRequest, context: _Context
    ) -> org_pb2.GetTeamMembershipResponse:
        team, mine = await teams.get_team_membership(
            self._uow,
            mappers.caller(request),
            request.team_id,
            mappers.optional(request, "organization_id"),
        )
        return org_pb2.GetTeamMembershipResponse(
            team=mappers.team(team), team_member=mappers.team_member(mine)
        )

    async def ListTeamMembers(
        self, request: org_pb2.ListTeamMembersRequest, context: _Context
    ) -> org_pb2.ListTeamMembersResponse:
        found = await teams.list_team_members(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.team_id,
            mappers.optional(request, "organization_id"),
        )
        return org_pb2.ListTeamMembersResponse(
            members=[mappers.team_member(member) for member in found]
        )

    async def AddTeamMember(
        self, request: org_pb2.AddTeamMemberRequest, context: _Context
    ) -> org_pb2.TeamMember:
        team, added = await teams.add_team_member(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.team_id,
            request.user_id,
            mappers.optional(request, "organization_id"),
        )
        self._cache.invalidate(team.organization_id)
        return mappers.team_member(added)

    async def RemoveTeamMember(
        self, request: org_pb2.RemoveTeamMemberRequest, context: _Context
    ) -> org_pb2.RemoveTeamMemberResponse:
        team = await teams.remove_team_member(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.team_id,
            request.user_id,
            mappers.optional(request, "organization_id"),
        )
        self._cache.invalidate(team.organization_id)
        return org_pb2.RemoveTeamMemberResponse()

    async def SetTeamMemberRole(
        self, request: org_pb2.SetTeamMemberRoleRequest, context: _Context
    ) -> org_pb2.TeamMember:
        team, updated = await teams.set_team_member_role(
            self._uow,
            self._ctx,
            mappers.caller(request),
            request.team_id,
            request.user_id,
            list(request.roles),
            mappers.optional(request, "organization_id"),
        )
        self._cache.invalidate(team.organization_id)
        return mappers.team_member(updated)


def _scrubbing(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def rpc(self: OrgServicer, request: Message, context: _Context) -> Any:
        return await method(self, mappers.without_nul_ids(request), context)

    return rpc


# Every RPC sees ids and slugs containing NUL as empty, that is unknown (mappers.py); but
# CheckPermission, on the hot path, which answers them itself (PermissionCache.check).
for _method in org_pb2.DESCRIPTOR.services_by_name["OrgService"].methods_by_name:
    if _method != "CheckPermission":
        setattr(OrgServicer, _method, _scrubbing(getattr(OrgServicer, _method)))


def registration(servicer: OrgServicer, permission_callers: Iterable[str]) -> Registration:
    return Registration(
        service_name="authmesh.org.v1.OrgService",
        add_to_server=org_pb2_grpc.add_OrgServiceServicer_to_server,
        servicer=servicer,
        allowed_callers=allowed_callers(permission_callers),
    )
