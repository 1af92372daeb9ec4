"""Typed calls to the org service's OrgService (Better-Auth's organization plugin, api.md
§9.8). Each takes the request message the route built (with the acting user and the event
actor) and answers the response message: org.proto documents what each checks and refuses."""

from authmesh.org.v1 import org_pb2, org_pb2_grpc
from authmesh_kit.grpc.client import ServiceChannel


class OrgClient:
    def __init__(self, channel: ServiceChannel) -> None:
        self._channel = channel
        self._stub = org_pb2_grpc.OrgServiceStub(channel.channel)

    async def create_organization(
        self, request: org_pb2.CreateOrganizationRequest
    ) -> org_pb2.CreateOrganizationResponse:
        return await self._channel.call(self._stub.CreateOrganization, request)

    async def check_slug(self, request: org_pb2.CheckSlugRequest) -> org_pb2.CheckSlugResponse:
        return await self._channel.call(self._stub.CheckSlug, request)

    async def update_organization(
        self, request: org_pb2.UpdateOrganizationRequest
    ) -> org_pb2.Organization:
        return await self._channel.call(self._stub.UpdateOrganization, request)

    async def delete_organization(
        self, request: org_pb2.DeleteOrganizationRequest
    ) -> org_pb2.Organization:
        return await self._channel.call(self._stub.DeleteOrganization, request)

    async def get_membership(
        self, request: org_pb2.GetMembershipRequest
    ) -> org_pb2.GetMembershipResponse:
        return await self._channel.call(self._stub.GetMembership, request)

    async def get_full_organization(
        self, request: org_pb2.GetFullOrganizationRequest
    ) -> org_pb2.GetFullOrganizationResponse:
        return await self._channel.call(self._stub.GetFullOrganization, request)

    async def list_organizations(
        self, request: org_pb2.ListOrganizationsRequest
    ) -> org_pb2.ListOrganizationsResponse:
        return await self._channel.call(self._stub.ListOrganizations, request)

    async def list_members(
        self, request: org_pb2.ListMembersRequest
    ) -> org_pb2.ListMembersResponse:
        return await self._channel.call(self._stub.ListMembers, request)

    async def update_member_role(self, request: org_pb2.UpdateMemberRoleRequest) -> org_pb2.Member:
        return await self._channel.call(self._stub.UpdateMemberRole, request)

    async def remove_member(self, request: org_pb2.RemoveMemberRequest) -> org_pb2.Member:
        return await self._channel.call(self._stub.RemoveMember, request)

    async def leave_organization(self, request: org_pb2.LeaveOrganizationRequest) -> org_pb2.Member:
        return await self._channel.call(self._stub.LeaveOrganization, request)

    async def check_permission(
        self, request: org_pb2.CheckPermissionRequest
    ) -> org_pb2.CheckPermissionResponse:
        return await self._channel.call(self._stub.CheckPermission, request)

    async def create_role(self, request: org_pb2.CreateRoleRequest) -> org_pb2.OrganizationRole:
        return await self._channel.call(self._stub.CreateRole, request)

    async def update_role(self, request: org_pb2.UpdateRoleRequest) -> org_pb2.OrganizationRole:
        return await self._channel.call(self._stub.UpdateRole, request)

    async def delete_role(self, request: org_pb2.DeleteRoleRequest) -> org_pb2.DeleteRoleResponse:
        return await self._channel.call(self._stub.DeleteRole, request)

    async def list_roles(self, request: org_pb2.ListRolesRequest) -> org_pb2.ListRolesResponse:
        return await self._channel.call(self._stub.ListRoles, request)

    async def get_role(self, request: org_pb2.GetRoleRequest) -> org_pb2.OrganizationRole:
        return await self._channel.call(self._stub.GetRole, request)

    async def create_invitation(
        self, request: org_pb2.CreateInvitationRequest
    ) -> org_pb2.Invitation:
        return await self._channel.call(self._stub.CreateInvitation, request)

    async def get_invitation(
        self, request: org_pb2.GetInvitationRequest
    ) -> org_pb2.GetInvitationResponse:
        return await self._channel.call(self._stub.GetInvitation, request)

    async def accept_invitation(
        self, request: org_pb2.AcceptInvitationRequest
    ) -> org_pb2.AcceptInvitationResponse:
        return await self._channel.call(self._stub.AcceptInvitation, request)

    async def reject_invitation(
        self, request: org_pb2.RejectInvitationRequest
    ) -> org_pb2.Invitation:
        return await self._channel.call(self._stub.RejectInvitation, request)

    async def cancel_invitation(
        self, request: org_pb2.CancelInvitationRequest
    ) -> org_pb2.Invitation:
        return await self._channel.call(self._stub.CancelInvitation, request)

    async def list_invitations(
        self, request: org_pb2.ListInvitationsRequest
    ) -> org_pb2.ListInvitationsResponse:
        return await self._channel.call(self._stub.ListInvitations, request)

    async def list_user_invitations(
        self, request: org_pb2.ListUserInvitationsRequest
    ) -> org_pb2.ListUserInvitationsResponse:
        return await self._channel.call(self._stub.ListUserInvitations, request)

    async def create_team(self, request: org_pb2.CreateTeamRequest) -> org_pb2.Team:
        return await self._channel.call(self._stub.CreateTeam, request)

    async def update_team(self, request: org_pb2.UpdateTeamRequest) -> org_pb2.Team:
        return await self._channel.call(self._stub.UpdateTeam, request)

    async def remove_team(self, request: org_pb2.RemoveTeamRequest) -> org_pb2.Team:
        return await self._channel.call(self._stub.RemoveTeam, request)

    async def list_teams(self, request: org_pb2.ListTeamsRequest) -> org_pb2.ListTeamsResponse:
        return await self._channel.call(self._stub.ListTeams, request)

    async def list_user_teams(
        self, request: org_pb2.ListUserTeamsRequest
    ) -> org_pb2.ListTeamsResponse:
        return await self._channel.call(self._stub.ListUserTeams, request)

    async def get_team_membership(
        self, request: org_pb2.GetTeamMembershipRequest
    ) -> org_pb2.GetTeamMembershipResponse:
        return await self._channel.call(self._stub.GetTeamMembership, request)

    async def list_team_members(
        self, request: org_pb2.ListTeamMembersRequest
    ) -> org_pb2.ListTeamMembersResponse:
        return await self._channel.call(self._stub.ListTeamMembers, request)

    async def add_team_member(self, request: org_pb2.AddTeamMemberRequest) -> org_pb2.TeamMember:
        return await self._channel.call(self._stub.AddTeamMember, request)

    async def remove_team_member(
        self, request: org_pb2.RemoveTeamMemberRequest
    ) -> org_pb2.RemoveTeamMemberResponse:
        return await self._channel.call(self._stub.RemoveTeamMember, request)

    async def set_team_member_role(
        self, request: org_pb2.SetTeamMemberRoleRequest
    ) -> org_pb2.TeamMember:
        return await self._channel.call(self._stub.SetTeamMemberRole, request)
