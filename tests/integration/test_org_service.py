"""The org service over gRPC against the real stack (org.proto): the organization lifecycle,
Better-Auth's default permission statements, custom roles and their effect on
CheckPermission, escalation attempts, foreign ids answered as unknown ones, one-time invitation
accepts under concurrency, the last-owner rule under concurrent changes, identity's user
deletions, and the permission cache following role changes.

Users are identity's, but the org service only sees their ids (and, for invitations, the
address and verification the gateway passes): most tests use fresh ids, and the deletion test a
real user signed up through the gateway.
"""

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import pytest

from authmesh.org.v1 import org_pb2, org_pb2_grpc
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer
from authmesh_kit.grpc.status import from_rpc_error
from authmesh_kit.stack.supervisor import Stack
from authmesh_kit.testing.pytest_plugin import PermissionCaller
from tests.accounts import delete_user, sign_up
from tests.conftest import browser, unique_email
from tests.mailbox import Mailbox
from tests.waiting import eventually

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "check_permission.py"
ALL_ACTIONS = {
    "organization": ["update", "delete"],
    "member": ["create", "update", "delete"],
    "invitation": ["create", "cancel"],
    "team": ["create", "update", "delete"],
    "ac": ["create", "read", "update", "delete"],
}


class Org:
    """The org service's stub, called as `caller` (a service name and its private key)."""

    def __init__(self, channel: grpc.aio.Channel, issuer: ServiceTokenIssuer) -> None:
        self._stub = org_pb2_grpc.OrgServiceStub(channel)
        self._issuer = issuer

    def __getattr__(self, method: str) -> Callable[[Any], Awaitable[Any]]:
        rpc = getattr(self._stub, method)

        async def call(request: Any) -> Any:
            metadata = (("authorization", f"Bearer {self._issuer.token_for('org')}"),)
            return await rpc(request, metadata=metadata, timeout=10)

        return call


async def refusal(call: Awaitable[Any]) -> DomainError:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await call
    return from_rpc_error(failed.value, "org")


async def reason(call: Awaitable[Any]) -> str:
    return (await refusal(call)).reason


@pytest.fixture
async def org(stack: Stack) -> AsyncIterator[Org]:
    issuer = ServiceTokenIssuer("gateway", stack.plan.key_pairs["gateway"][0])
    async with grpc.aio.insecure_channel(stack.addr("org")) as channel:
        yield Org(channel, issuer)


def new_user() -> str:
    return f"user-{uuid.uuid4().hex}"


def perms(spec: dict[str, list[str]]) -> dict[str, org_pb2.PermissionActions]:
    return {resource: org_pb2.PermissionActions(actions=a) for resource, a in spec.items()}


@dataclass
class Tenant:
    """An organization, its owner, and members added by invitation: user id → member."""

    id: str
    owner: str
    team_id: str
    members: dict[str, org_pb2.Member]


async def create_org(org: Org, owner: str | None = None) -> Tenant:
    owner = owner or new_user()
    slug = f"org-{uuid.uuid4().hex[:12]}"
    created = await org.CreateOrganization(
        org_pb2.CreateOrganizationRequest(actor_user_id=owner, name="Acme", slug=slug)
    )
    tenant = Tenant(created.organization.id, owner, created.default_team.id, {})
    tenant.members[owner] = created.member
    return tenant


async def invite(
    org: Org, tenant: Tenant, email: str, roles: list[str], inviter: str | None = None, **extra: Any
) -> org_pb2.Invitation:
    created: org_pb2.Invitation = await org.CreateInvitation(
        org_pb2.CreateInvitationRequest(
            actor_user_id=inviter or tenant.owner,
            organization_id=tenant.id,
            email=email,
            roles=roles,
            inviter_email="owner@example.test",
            **extra,
        )
    )
    return created


async def accept(
    org: Org, invitation_id: str, user: str, email: str, verified: bool = True
) -> org_pb2.AcceptInvitationResponse:
    accepted: org_pb2.AcceptInvitationResponse = await org.AcceptInvitation(
        org_pb2.AcceptInvitationRequest(
            actor_user_id=user,
            invitation_id=invitation_id,
            actor_email=email,
            actor_email_verified=verified,
        )
    )
    return accepted


async def add_member(org: Org, tenant: Tenant, role: str, user: str | None = None) -> str:
    user = user or new_user()
    email = unique_email()
    invitation = await invite(org, tenant, email, [role])
    tenant.members[user] = (await accept(org, invitation.id, user, email)).member
    return user


async def check(
    org: Org, user: str, tenant: Tenant, spec: dict[str, list[str]], team_id: str | None = None
) -> org_pb2.CheckPermissionResponse:
    request = org_pb2.CheckPermissionRequest(
        user_id=user, organization_id=tenant.id, permissions=perms(spec)
    )
    if team_id is not None:
        request.team_id = team_id
    answer: org_pb2.CheckPermissionResponse = await org.CheckPermission(request)
    return answer


async def allowed_eventually(
    org: Org, user: str, tenant: Tenant, spec: dict[str, list[str]], expected: bool
) -> bool:
    """CheckPermission's answer once it is `expected`, polled with a deadline."""
    answer = await eventually(
        lambda: check(org, user, tenant, spec), lambda r: r.allowed == expected, timeout_s=5
    )
    return bool(answer.allowed)


async def update_role(org: Org, tenant: Tenant, actor: str, target: str, roles: list[str]) -> Any:
    return await org.UpdateMemberRole(
        org_pb2.UpdateMemberRoleRequest(
            actor_user_id=actor,
            organization_id=tenant.id,
            member_id=tenant.members[target].id,
            roles=roles,
        )
    )


async def owners(org: Org, tenant: Tenant, actor: str) -> list[str]:
    listed = await org.ListMembers(
        org_pb2.ListMembersRequest(
            actor_user_id=actor,
            organization_id=tenant.id,
            filter_field="role",
            filter_operator="contains",
            filter_value="owner",
        )
    )
    return [member.user_id for member in listed.members]


# --- lifecycle ----------------------------------------------------------------------------------


async def test_an_organization_lives_from_creation_to_deletion(org: Org, mail: Mailbox) -> None:
    owner = new_user()
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    created = await org.CreateOrganization(
        org_pb2.CreateOrganizationRequest(
            actor_user_id=owner, name="Acme", slug=slug, metadata_json='{"plan": "pro"}'
        )
    )
    org_id = created.organization.id
    assert created.member.role == "owner" and created.member.user_id == owner
    assert created.default_team.name == "Acme"
    assert await reason(org.CheckSlug(org_pb2.CheckSlugRequest(slug=slug))) == (
        "ORGANIZATION_SLUG_ALREADY_TAKEN"
    )
    again = org_pb2.CreateOrganizationRequest(actor_user_id=new_user(), name="B", slug=slug)
    assert await reason(org.CreateOrganization(again)) == "ORGANIZATION_ALREADY_EXISTS"
    bad = org_pb2.CreateOrganizationRequest(actor_user_id=owner, name="B", slug="a b")
    assert await reason(org.CreateOrganization(bad)) == "INVALID_ORGANIZATION"

    renamed = await org.UpdateOrganization(
        org_pb2.UpdateOrganizationRequest(
            actor_user_id=owner, organization_id=org_id, name="Acme 2"
        )
    )
    assert renamed.name == "Acme 2" and renamed.slug == slug
    by_slug = await org.GetMembership(
        org_pb2.GetMembershipRequest(
            actor_user_id=owner, organization=org_pb2.OrganizationRef(slug=slug)
        )
    )
    assert by_slug.organization.id == org_id and by_slug.member.role == "owner"
    listed = await org.ListOrganizations(org_pb2.ListOrganizationsRequest(actor_user_id=owner))
    assert [o.id for o in listed.organizations] == [org_id]

    guest, email = new_user(), unique_email()
    tenant = Tenant(org_id, owner, created.default_team.id, {owner: created.member})
    invitation = await invite(org, tenant, email.upper(), ["member"], inviter_name="Ada")
    assert invitation.email == email and invitation.status == "pending"
    message = await mail.next(email, "organization-invitation")
    assert message.fields["invitationId"] == invitation.id
    assert message.fields["url"].endswith(f"/accept-invitation/{invitation.id}")
    assert message.fields["organizationName"] == "Acme 2" and message.fields["role"] == "member"
    seen = await org.GetInvitation(
        org_pb2.GetInvitationRequest(
            actor_user_id=guest,
            invitation_id=invitation.id,
            actor_email=email,
            actor_email_verified=True,
        )
    )
    assert seen.organization_slug == slug and seen.invitation.inviter_id == owner
    joined = await accept(org, invitation.id, guest, email.upper())
    assert joined.invitation.status == "accepted" and joined.member.role == "member"

    full = await org.GetFullOrganization(
        org_pb2.GetFullOrganizationRequest(
            actor_user_id=guest, organization=org_pb2.OrganizationRef(id=org_id)
        )
    )
    assert {m.user_id for m in full.members} == {owner, guest}
    assert [t.name for t in full.teams] == ["Acme"] and list(full.invitations) == []

    left = await org.LeaveOrganization(
        org_pb2.LeaveOrganizationRequest(actor_user_id=guest, organization_id=org_id)
    )
    assert left.user_id == guest
    only_owner = org_pb2.LeaveOrganizationRequest(actor_user_id=owner, organization_id=org_id)
    assert await reason(org.LeaveOrganization(only_owner)) == (
        "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER"
    )
    deleted = await org.DeleteOrganization(
        org_pb2.DeleteOrganizationRequest(actor_user_id=owner, organization_id=org_id)
    )
    assert deleted.id == org_id
    gone = org_pb2.GetMembershipRequest(
        actor_user_id=owner, organization=org_pb2.OrganizationRef(id=org_id)
    )
    assert await reason(org.GetMembership(gone)) == "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "denied"),
    [
        ("owner", set()),
        ("admin", {"organization:delete"}),
        (
            "member",
            {f"{r}:{a}" for r, actions in ALL_ACTIONS.items() for a in actions} - {"ac:read"},
        ),
    ],
)
async def test_default_roles_hold_better_auths_statements(
    org: Org, role: str, denied: set[str]
) -> None:
    tenant = await create_org(org)
    user = tenant.owner if role == "owner" else await add_member(org, tenant, role)
    for resource, actions in ALL_ACTIONS.items():
        for action in actions:
            answer = await check(org, user, tenant, {resource: [action]})
            assert answer.member
            assert answer.allowed == (f"{resource}:{action}" not in denied), (resource, action)
    assert not (await check(org, user, tenant, {"project": ["read"]})).allowed
    assert not (await check(org, user, tenant, {})).allowed
    stranger = await check(org, new_user(), tenant, {"ac": ["read"]})
    assert not stranger.allowed and not stranger.member


async def test_custom_roles_are_created_changed_and_deleted_at_run_time(org: Org) -> None:
    tenant = await create_org(org)
    admin = await add_member(org, tenant, "admin")
    user = await add_member(org, tenant, "member")

    def create(actor: str, name: str, spec: dict[str, list[str]]) -> Awaitable[Any]:
        return org.CreateRole(
            org_pb2.CreateRoleRequest(
                actor_user_id=actor, organization_id=tenant.id, role=name, permission=perms(spec)
            )
        )

    role = await create(tenant.owner, "recruiter", {"invitation": ["create"]})
    assert dict(role.permission)["invitation"].actions == ["create"]
    assert await reason(create(tenant.owner, "recruiter", {})) == "ROLE_NAME_IS_ALREADY_TAKEN"
    assert await reason(create(tenant.owner, "owner", {})) == "ROLE_NAME_IS_ALREADY_TAKEN"
    assert await reason(create(tenant.owner, "x", {"rockets": ["launch"]})) == "INVALID_RESOURCE"
    assert await reason(create(tenant.owner, "bad name", {})) == "INVALID_ROLE_NAME"
    # No one puts into a role what they do not hold, and members may not create roles.
    assert await reason(create(admin, "deleter", {"organization": ["delete"]})) == (
        "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE"
    )
    assert await reason(create(user, "mine", {})) == "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE"

    assert not (await check(org, user, tenant, {"invitation": ["create"]})).allowed
    await update_role(org, tenant, tenant.owner, user, ["member", "recruiter"])
    assert await allowed_eventually(org, user, tenant, {"invitation": ["create"]}, True)
    await org.UpdateRole(
        org_pb2.UpdateRoleRequest(
            actor_user_id=tenant.owner,
            organization_id=tenant.id,
            role=org_pb2.RoleRef(role_name="recruiter"),
            permission=org_pb2.Statements(statements=perms({"invitation": ["cancel"]})),
        )
    )
    assert not await allowed_eventually(org, user, tenant, {"invitation": ["create"]}, False)
    assert (await check(org, user, tenant, {"invitation": ["cancel"]})).allowed

    listed = await org.ListRoles(
        org_pb2.ListRolesRequest(actor_user_id=user, organization_id=tenant.id)
    )
    assert [r.role for r in listed.roles] == ["recruiter"]
    delete = org_pb2.DeleteRoleRequest(
        actor_user_id=tenant.owner,
        organization_id=tenant.id,
        role=org_pb2.RoleRef(role_name="recruiter"),
    )
    assert await reason(org.DeleteRole(delete)) == "ROLE_IS_ASSIGNED_TO_MEMBERS"
    predefined = org_pb2.DeleteRoleRequest(
        actor_user_id=tenant.owner,
        organization_id=tenant.id,
        role=org_pb2.RoleRef(role_name="admin"),
    )
    assert await reason(org.DeleteRole(predefined)) == "CANNOT_DELETE_A_PRE_DEFINED_ROLE"
    await update_role(org, tenant, tenant.owner, user, ["member"])
    await org.DeleteRole(delete)
    assert await reason(org.DeleteRole(delete)) == "ROLE_NOT_FOUND"


async def test_team_scoped_roles_apply_to_checks_in_that_team(org: Org) -> None:
    tenant = await create_org(org)
    user = await add_member(org, tenant, "member")
    team = await org.CreateTeam(
        org_pb2.CreateTeamRequest(actor_user_id=tenant.owner, organization_id=tenant.id, name="Ops")
    )
    add = org_pb2.AddTeamMemberRequest(actor_user_id=tenant.owner, team_id=team.id, user_id=user)
    await org.AddTeamMember(add)
    await org.SetTeamMemberRole(
        org_pb2.SetTeamMemberRoleRequest(
            actor_user_id=tenant.owner, team_id=team.id, user_id=user, roles=["admin"]
        )
    )
    spec = {"team": ["update"]}
    in_team = await eventually(
        lambda: check(org, user, tenant, spec, team.id), lambda r: r.allowed, timeout_s=5
    )
    assert in_team.allowed and in_team.member
    assert not (await check(org, user, tenant, spec)).allowed  # the organization role
    elsewhere = await check(org, user, tenant, spec, tenant.team_id)
    assert not elsewhere.allowed and not elsewhere.member  # not in the default team
    own = org_pb2.SetTeamMemberRoleRequest(
        actor_user_id=user, team_id=team.id, user_id=user, roles=["owner"]
    )
    assert await reason(org.SetTeamMemberRole(own)) == "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"

    def teams_of(actor: str, **query: Any) -> Awaitable[Any]:
        return org.ListUserTeams(org_pb2.ListUserTeamsRequest(actor_user_id=actor, **query))

    assert [t.id for t in (await teams_of(user)).teams] == [team.id]
    theirs = await teams_of(tenant.owner, user_id=user, organization_id=tenant.id)
    assert [t.id for t in theirs.teams] == [team.id]
    assert await reason(teams_of(user, user_id=tenant.owner, organization_id=tenant.id)) == (
        "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"
    )
    stranger = await refusal(teams_of(tenant.owner, user_id=new_user(), organization_id=tenant.id))
    assert (stranger.reason, stranger.kind) == (
        "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
        ErrorKind.FAILED_PRECONDITION,
    )


# --- escalation -------------------------------------------------------------------------------


async def test_members_and_admins_cannot_raise_roles_beyond_their_own(org: Org) -> None:
    tenant = await create_org(org)
    admin = await add_member(org, tenant, "admin")
    user = await add_member(org, tenant, "member")
    not_allowed = "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"
    assert await reason(update_role(org, tenant, user, user, ["admin"])) == not_allowed
    assert await reason(update_role(org, tenant, user, user, ["owner"])) == not_allowed
    assert await reason(update_role(org, tenant, admin, admin, ["owner"])) == not_allowed
    assert await reason(update_role(org, tenant, admin, user, ["owner"])) == not_allowed
    assert await reason(update_role(org, tenant, admin, user, ["admin", "owner"])) == not_allowed
    assert await reason(update_role(org, tenant, admin, tenant.owner, ["member"])) == not_allowed
    for name in (" owner", "Owner", "owner ", "OWNER", "owner\u200b", "", "admin,owner"):
        assert await reason(update_role(org, tenant, tenant.owner, user, [name])) == (
            "ROLE_NOT_FOUND"
        ), name
        assert await reason(invite(org, tenant, unique_email(), [name])) == "ROLE_NOT_FOUND"
    assert await reason(invite(org, tenant, unique_email(), ["owner"], inviter=admin)) == (
        "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE"
    )
    assert await reason(invite(org, tenant, unique_email(), ["member"], inviter=user)) == (
        "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"
    )
    remove = org_pb2.RemoveMemberRequest(
        actor_user_id=admin, organization_id=tenant.id, member_id=tenant.members[tenant.owner].id
    )
    assert await reason(org.RemoveMember(remove)) == "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER"
    delete = org_pb2.DeleteOrganizationRequest(actor_user_id=admin, organization_id=tenant.id)
    assert await reason(org.DeleteOrganization(delete)) == (
        "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION"
    )
    # What an admin may do, they do; and the roles stayed as they were.
    assert (await update_role(org, tenant, admin, user, ["admin"])).role == "admin"
    assert await owners(org, tenant, tenant.owner) == [tenant.owner]


async def test_foreign_ids_answer_exactly_as_unknown_ones(org: Org) -> None:
    mine = await create_org(org)
    theirs = await create_org(org)
    their_member = await add_member(org, theirs, "member")
    their_invitation = await invite(org, theirs, unique_email(), ["member"])
    their_role = await org.CreateRole(
        org_pb2.CreateRoleRequest(actor_user_id=theirs.owner, organization_id=theirs.id, role="r")
    )
    me = mine.owner
    unknown = f"unknown-{uuid.uuid4().hex}"
    probes: list[Callable[[str, str], Awaitable[Any]]] = [
        lambda org_id, _: org.GetMembership(
            org_pb2.GetMembershipRequest(
                actor_user_id=me, organization=org_pb2.OrganizationRef(id=org_id)
            )
        ),
        lambda org_id, _: org.GetFullOrganization(
            org_pb2.GetFullOrganizationRequest(
                actor_user_id=me, organization=org_pb2.OrganizationRef(id=org_id)
            )
        ),
        lambda org_id, _: org.UpdateOrganization(
            org_pb2.UpdateOrganizationRequest(actor_user_id=me, organization_id=org_id, name="x")
        ),
        lambda org_id, _: org.DeleteOrganization(
            org_pb2.DeleteOrganizationRequest(actor_user_id=me, organization_id=org_id)
        ),
        lambda org_id, _: org.ListMembers(
            org_pb2.ListMembersRequest(actor_user_id=me, organization_id=org_id)
        ),
        lambda org_id, _: org.ListInvitations(
            org_pb2.ListInvitationsRequest(actor_user_id=me, organization_id=org_id)
        ),
        lambda org_id, _: org.ListTeams(
            org_pb2.ListTeamsRequest(actor_user_id=me, organization_id=org_id)
        ),
        lambda org_id, _: org.ListRoles(
            org_pb2.ListRolesRequest(actor_user_id=me, organization_id=org_id)
        ),
        lambda org_id, _: org.CreateTeam(
            org_pb2.CreateTeamRequest(actor_user_id=me, organization_id=org_id, name="t")
        ),
        lambda org_id, _: org.LeaveOrganization(
            org_pb2.LeaveOrganizationRequest(actor_user_id=me, organization_id=org_id)
        ),
        lambda org_id, _: invite(org, Tenant(org_id, me, "", {}), unique_email(), ["member"]),
        lambda org_id, _: org.CreateRole(
            org_pb2.CreateRoleRequest(actor_user_id=me, organization_id=org_id, role="z")
        ),
        # Ids inside an organization: looked up in the actor's own, never found.
        lambda _, member_id: org.UpdateMemberRole(
            org_pb2.UpdateMemberRoleRequest(
                actor_user_id=me, organization_id=mine.id, member_id=member_id, roles=["member"]
            )
        ),
        lambda _, member_id: org.RemoveMember(
            org_pb2.RemoveMemberRequest(
                actor_user_id=me, organization_id=mine.id, member_id=member_id
            )
        ),
    ]
    for probe in probes:
        foreign = await refusal(probe(theirs.id, theirs.members[their_member].id))
        nonexistent = await refusal(probe(unknown, unknown))
        assert (foreign.kind, foreign.reason, foreign.message) == (
            nonexistent.kind,
            nonexistent.reason,
            nonexistent.message,
        )
    by_id: list[tuple[Callable[[str], Awaitable[Any]], str]] = [
        (
            lambda team_id: org.UpdateTeam(
                org_pb2.UpdateTeamRequest(actor_user_id=me, team_id=team_id, name="x")
            ),
            theirs.team_id,
        ),
        (
            lambda team_id: org.RemoveTeam(
                org_pb2.RemoveTeamRequest(actor_user_id=me, team_id=team_id)
            ),
            theirs.team_id,
        ),
        (
            lambda team_id: org.ListTeamMembers(
                org_pb2.ListTeamMembersRequest(actor_user_id=me, team_id=team_id)
            ),
            theirs.team_id,
        ),
        (
            lambda team_id: org.AddTeamMember(
                org_pb2.AddTeamMemberRequest(actor_user_id=me, team_id=team_id, user_id=me)
            ),
            theirs.team_id,
        ),
        (
            lambda team_id: org.GetTeamMembership(
                org_pb2.GetTeamMembershipRequest(actor_user_id=me, team_id=team_id)
            ),
            theirs.team_id,
        ),
        (
            lambda invitation_id: org.CancelInvitation(
                org_pb2.CancelInvitationRequest(actor_user_id=me, invitation_id=invitation_id)
            ),
            their_invitation.id,
        ),
        (
            lambda role_id: org.GetRole(
                org_pb2.GetRoleRequest(
                    actor_user_id=me,
                    organization_id=mine.id,
                    role=org_pb2.RoleRef(role_id=role_id),
                )
            ),
            their_role.id,
        ),
    ]
    for probe_id, foreign_id in by_id:
        foreign = await refusal(probe_id(foreign_id))
        nonexistent = await refusal(probe_id(unknown))
        assert (foreign.kind, foreign.reason) == (nonexistent.kind, nonexistent.reason)
        assert foreign.reason.endswith("NOT_FOUND")
    # Nothing of theirs changed.
    listed = await org.ListMembers(
        org_pb2.ListMembersRequest(actor_user_id=theirs.owner, organization_id=theirs.id)
    )
    assert listed.total == 2


async def test_ids_with_nul_answer_as_unknown_and_text_with_nul_is_refused(org: Org) -> None:
    tenant = await create_org(org)
    me = tenant.owner
    for bad in ("\x00", "x\x00y"):
        membership = org_pb2.GetMembershipRequest(
            actor_user_id=me, organization=org_pb2.OrganizationRef(id=bad)
        )
        assert await reason(org.GetMembership(membership)) == (
            "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"
        )
        by_slug = org_pb2.GetMembershipRequest(
            actor_user_id=me, organization=org_pb2.OrganizationRef(slug=bad)
        )
        assert await reason(org.GetMembership(by_slug)) == (
            "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"
        )
        team = org_pb2.GetTeamMembershipRequest(actor_user_id=me, team_id=bad)
        assert await reason(org.GetTeamMembership(team)) == "TEAM_NOT_FOUND"
        role = org_pb2.GetRoleRequest(
            actor_user_id=me, organization_id=tenant.id, role=org_pb2.RoleRef(role_name=bad)
        )
        assert await reason(org.GetRole(role)) == "ROLE_NOT_FOUND"
        cancel = org_pb2.CancelInvitationRequest(actor_user_id=me, invitation_id=bad)
        assert await reason(org.CancelInvitation(cancel)) == "INVITATION_NOT_FOUND"
        assert not (await check(org, me, tenant, {"ac": ["read"]}, team_id=bad)).member
        assert await reason(invite(org, tenant, f"a{bad}@example.test", ["member"])) == (
            "INVALID_EMAIL"
        )
        create = org_pb2.CreateTeamRequest(actor_user_id=me, organization_id=tenant.id, name=bad)
        assert await reason(org.CreateTeam(create)) == "INVALID_TEAM_NAME"
        rename = org_pb2.UpdateOrganizationRequest(
            actor_user_id=me, organization_id=tenant.id, name=bad
        )
        assert await reason(org.UpdateOrganization(rename)) == "INVALID_ORGANIZATION"
        listing = org_pb2.ListMembersRequest(
            actor_user_id=me, organization_id=tenant.id, filter_field="userId", filter_value=bad
        )
        assert await reason(org.ListMembers(listing)) == "INVALID_MEMBER_QUERY"
        mine = org_pb2.ListUserInvitationsRequest(
            actor_user_id=me, actor_email=f"a{bad}@example.test", actor_email_verified=True
        )
        assert list((await org.ListUserInvitations(mine)).invitations) == []


# --- invitations ------------------------------------------------------------------------------


async def test_an_invitation_is_accepted_once_under_concurrent_accepts(org: Org) -> None:
    tenant = await create_org(org)
    email = unique_email()
    invitation = await invite(org, tenant, email, ["member"])
    users = [new_user() for _ in range(20)]
    results = await asyncio.gather(
        *(accept(org, invitation.id, user, email) for user in users), return_exceptions=True
    )
    accepted = [r for r in results if isinstance(r, org_pb2.AcceptInvitationResponse)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(accepted) == 1 and len(refused) == 19
    assert {from_rpc_error(r, "org").reason for r in refused} == {"INVITATION_NOT_FOUND"}
    listed = await org.ListMembers(
        org_pb2.ListMembersRequest(actor_user_id=tenant.owner, organization_id=tenant.id)
    )
    assert listed.total == 2


async def test_invitations_are_bound_to_a_verified_address_and_live_once(
    org: Org, stack: Stack
) -> None:
    tenant = await create_org(org)
    email, user = unique_email(), new_user()
    first = await invite(org, tenant, email, ["member"])
    assert await reason(invite(org, tenant, email, ["member"])) == (
        "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION"
    )
    resent = await invite(org, tenant, email, ["admin"], resend=True)
    assert resent.id == first.id and resent.role == "admin"
    assert resent.expires_at.ToDatetime() >= first.expires_at.ToDatetime()
    listed = await org.ListInvitations(
        org_pb2.ListInvitationsRequest(actor_user_id=tenant.owner, organization_id=tenant.id)
    )
    assert [i.id for i in listed.invitations] == [first.id]

    assert await reason(accept(org, first.id, user, unique_email())) == (
        "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION"
    )
    assert await reason(accept(org, first.id, user, email, verified=False)) == (
        "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION"
    )
    unverified = org_pb2.ListUserInvitationsRequest(
        actor_user_id=user, actor_email=email, actor_email_verified=False
    )
    assert await reason(org.ListUserInvitations(unverified)) == (
        "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION"
    )
    mine = await org.ListUserInvitations(
        org_pb2.ListUserInvitationsRequest(
            actor_user_id=user, actor_email=email.upper(), actor_email_verified=True
        )
    )
    assert [i.invitation.id for i in mine.invitations] == [first.id]

    await accept(org, first.id, user, email)
    assert await reason(accept(org, first.id, user, email)) == "INVITATION_NOT_FOUND"
    assert await reason(invite(org, tenant, unique_email(), ["member"], invitee_user_id=user)) == (
        "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION"
    )

    canceled_email = unique_email()
    canceled = await invite(org, tenant, canceled_email, ["member"])
    await org.CancelInvitation(
        org_pb2.CancelInvitationRequest(actor_user_id=tenant.owner, invitation_id=canceled.id)
    )
    assert await reason(accept(org, canceled.id, new_user(), canceled_email)) == (
        "INVITATION_NOT_FOUND"
    )

    expired_email = unique_email()
    expired = await invite(org, tenant, expired_email, ["member"])
    conn = await asyncpg.connect(stack.admin_database_url)
    try:
        await conn.execute(
            "UPDATE org.invitations SET expires_at = now() - $1::interval WHERE id = $2",
            timedelta(seconds=1),
            expired.id,
        )
    finally:
        await conn.close()
    assert await reason(accept(org, expired.id, new_user(), expired_email)) == (
        "INVITATION_NOT_FOUND"
    )


async def test_pending_invitations_stop_at_the_limit(org: Org) -> None:
    tenant = await create_org(org)
    for _ in range(100):  # one at a time: invitations to one organization queue on its lock
        await invite(org, tenant, unique_email(), ["member"])
    assert await reason(invite(org, tenant, unique_email(), ["member"])) == (
        "INVITATION_LIMIT_REACHED"
    )


# --- members ----------------------------------------------------------------------------------


async def test_members_list_with_allow_listed_sort_and_filter(org: Org) -> None:
    tenant = await create_org(org)
    admins = {await add_member(org, tenant, "admin") for _ in range(2)}
    await add_member(org, tenant, "member")

    def listing(**query: Any) -> Awaitable[Any]:
        return org.ListMembers(
            org_pb2.ListMembersRequest(
                actor_user_id=tenant.owner, organization_id=tenant.id, **query
            )
        )

    page = await listing(limit=2, offset=1, sort_by="createdAt", sort_direction="desc")
    assert page.total == 4 and len(page.members) == 2
    filtered = await listing(filter_field="role", filter_operator="eq", filter_value="admin")
    assert {m.user_id for m in filtered.members} == admins and filtered.total == 2
    for bad in (
        {"sort_by": "role; DROP TABLE org.members"},
        {"sort_by": "email"},
        {"filter_field": "organization_id", "filter_value": "x"},
        {"filter_field": "role", "filter_operator": "like", "filter_value": "%"},
        {"sort_direction": "sideways"},
        {"limit": 0},
    ):
        assert await reason(listing(**bad)) == "INVALID_MEMBER_QUERY", bad


async def test_the_last_owner_stays_under_concurrent_demotions_and_removals(org: Org) -> None:
    for _ in range(3):
        tenant = await create_org(org)
        first, second = tenant.owner, await add_member(org, tenant, "owner")
        await asyncio.gather(
            update_role(org, tenant, first, second, ["member"]),
            update_role(org, tenant, second, first, ["member"]),
            return_exceptions=True,
        )
        assert len(await owners(org, tenant, first)) == 1

    tenant = await create_org(org)
    first, second = tenant.owner, await add_member(org, tenant, "owner")
    removals = [
        org.RemoveMember(
            org_pb2.RemoveMemberRequest(
                actor_user_id=actor, organization_id=tenant.id, member_id=tenant.members[target].id
            )
        )
        for actor, target in ((first, second), (second, first))
    ]
    leaving = [
        org.LeaveOrganization(
            org_pb2.LeaveOrganizationRequest(actor_user_id=user, organization_id=tenant.id)
        )
        for user in (first, second)
    ]
    results = await asyncio.gather(*removals, *leaving, return_exceptions=True)
    assert sum(not isinstance(result, Exception) for result in results) == 1
    still_in = []
    for user in (first, second):
        membership = org_pb2.GetMembershipRequest(
            actor_user_id=user, organization=org_pb2.OrganizationRef(id=tenant.id)
        )
        with contextlib.suppress(grpc.aio.AioRpcError):
            still_in.append((await org.GetMembership(membership)).member.role)
    assert still_in == ["owner"]


# --- identity's deletions ------------------------------------------------------------------


async def test_a_deleted_user_leaves_every_organization(org: Org, stack: Stack) -> None:
    email = unique_email()
    async with browser(stack) as http:
        user = (await sign_up(http, email))["user"]["id"]
        shared = await create_org(org)
        await add_member(org, shared, "admin", user=user)
        alone = await create_org(org, owner=user)  # the user is its only member
        handed_over = await create_org(org, owner=user)
        heir = await add_member(org, handed_over, "admin")
        # Cached now: only the org service's own events (of the consumer's changes) evict it.
        assert (await check(org, user, shared, {"ac": ["read"]})).member
        assert (await delete_user(http)).status_code == 200

    async def members_of(tenant: Tenant, actor: str) -> list[tuple[str, str]]:
        listed = await org.ListMembers(
            org_pb2.ListMembersRequest(actor_user_id=actor, organization_id=tenant.id)
        )
        return [(m.user_id, m.role) for m in listed.members]

    assert await eventually(lambda: members_of(shared, shared.owner), lambda m: len(m) == 1) == [
        (shared.owner, "owner")
    ]
    assert await eventually(lambda: members_of(handed_over, heir), lambda m: len(m) == 1) == [
        (heir, "owner")
    ]
    gone = org_pb2.GetMembershipRequest(
        actor_user_id=user, organization=org_pb2.OrganizationRef(id=alone.id)
    )
    assert await reason(org.GetMembership(gone)) == "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"
    answer = await eventually(
        lambda: check(org, user, shared, {"ac": ["read"]}), lambda r: not r.member, timeout_s=5
    )
    assert not answer.member


# --- CheckPermission for internal backends ------------------------------------------------


async def test_a_backend_checks_permissions_and_sees_role_changes_promptly(
    org: Org, stack: Stack, permission_caller: PermissionCaller
) -> None:
    tenant = await create_org(org)
    user = await add_member(org, tenant, "member")
    issuer = ServiceTokenIssuer(permission_caller.name, permission_caller.private_key)
    async with grpc.aio.insecure_channel(stack.addr("org")) as channel:
        backend = Org(channel, issuer)
        spec = {"member": ["update"]}
        assert not (await check(backend, user, tenant, spec)).allowed
        await update_role(org, tenant, tenant.owner, user, ["admin"])
        assert await allowed_eventually(backend, user, tenant, spec, True)
        await update_role(org, tenant, tenant.owner, user, ["member"])
        assert not await allowed_eventually(backend, user, tenant, spec, False)
        # A backend may check, nothing else.
        listing = org_pb2.ListMembersRequest(actor_user_id=user, organization_id=tenant.id)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await backend.ListMembers(listing)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED

    env = {
        **os.environ,
        "AUTHMESH_ORG_ADDR": stack.addr("org"),
        "AUTHMESH_BACKEND_NAME": permission_caller.name,
        "AUTHMESH_BACKEND_KEY": permission_caller.private_key,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(EXAMPLE), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    allowed = await asyncio.to_thread(run, tenant.owner, tenant.id, "organization:delete")
    assert (allowed.returncode, allowed.stdout.strip()) == (0, "allowed"), allowed.stderr
    refused_run = await asyncio.to_thread(run, user, tenant.id, "member:update,ac:read")
    assert (refused_run.returncode, refused_run.stdout.strip()) == (1, "refused")


async def test_the_permission_cache_is_bypassed_while_nats_is_away(org: Org, stack: Stack) -> None:
    # An organization written straight into the database: no event of it is ever on its way,
    # so nothing but the outage can take its entries out of the cache.
    org_id, owner, user = f"org-{uuid.uuid4().hex}", new_user(), new_user()
    member_id = f"member-{uuid.uuid4().hex}"
    conn = await asyncpg.connect(stack.admin_database_url)
    try:
        await conn.execute(
            "INSERT INTO org.organizations (id, name, slug) VALUES ($1, 'Quiet', $1)", org_id
        )
        await conn.execute(
            "INSERT INTO org.members (id, organization_id, user_id, role)"
            " VALUES ($1, $2, $3, 'owner'), ($4, $2, $5, 'member')",
            f"member-{uuid.uuid4().hex}",
            org_id,
            owner,
            member_id,
            user,
        )
        tenant = Tenant(org_id, owner, "", {user: org_pb2.Member(id=member_id)})
        spec = {"member": ["update"]}
        assert not (await check(org, user, tenant, spec)).allowed  # cached now
        await stack.stop_nats()
        try:
            # A change whose event cannot arrive (as another replica's during the outage): the
            # cache must stop answering once its link is lost, and read the database instead.
            await conn.execute("UPDATE org.members SET role = 'admin' WHERE id = $1", member_id)
            assert await allowed_eventually(org, user, tenant, spec, True)
        finally:
            await stack.start_nats()
    finally:
        await conn.close()
    await update_role(org, tenant, owner, user, ["member"])
    assert not await allowed_eventually(org, user, tenant, spec, False)
