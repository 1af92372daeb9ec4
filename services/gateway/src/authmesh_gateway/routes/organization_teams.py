"""Better-Auth's organization plugin with teams (api.md §9.8, peer `teams.enabled`): create-team,
list-teams, update-team, remove-team, set-active-team, list-user-teams, list-team-members,
add-team-member and remove-team-member; and Authmesh's team-scoped roles
(POST /api/organization/set-team-member-role).

A team of another organization answers as a nonexistent one (TEAM_NOT_FOUND): the org service
checks the caller's membership first (org.proto).
"""

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.org.v1 import org_pb2
from authmesh_gateway.context import context_of
from authmesh_gateway.http_io import read_body
from authmesh_gateway.routes.organization import validated_query
from authmesh_gateway.routes.organization_common import (
    YOU_ARE_NOT_A_MEMBER_403,
    choice,
    known,
    org_caller,
    text,
)
from authmesh_gateway.routes.organization_members import names
from authmesh_gateway.serialize_org import team_json, team_member_json
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.organization_schemas import (
    CREATE_TEAM,
    LIST_TEAM_MEMBERS_QUERY,
    LIST_USER_TEAMS_QUERY,
    ORGANIZATION_ID_QUERY,
    REMOVE_TEAM,
    SET_ACTIVE_TEAM,
    SET_TEAM_MEMBER_ROLE,
    TEAM_MEMBER,
    UPDATE_TEAM,
    UPDATE_TEAM_DATA,
)
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError, ErrorKind

router = APIRouter()
extras = APIRouter()  # Authmesh's own endpoints, under /api

TEAM_REMOVED = {"message": "Team removed successfully."}
TEAM_MEMBER_REMOVED = {"message": "Team member removed successfully."}


@router.post("/organization/create-team")
async def create_team(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), CREATE_TEAM)
    caller = await org_caller(request, unauthorized=ApiError(401))
    organization_id = caller.organization_id(body.get("organizationId"))
    try:
        team = await ctx.org.create_team(
            org_pb2.CreateTeamRequest(
                actor_user_id=caller.user_id,
                organization_id=organization_id,
                name=str(body["name"]),
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        # Better-Auth 1.7.25 answers a non-member with the invitation code here.
        not_a_member = known(403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION")
        return caller.refuse(error, {"USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": not_a_member})
    return caller.answer(team_json(team))


@router.get("/organization/list-teams")
async def list_teams(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, ORGANIZATION_ID_QUERY)
    caller = await org_caller(request)
    organization_id = caller.organization_id(query.get("organizationId"))
    try:
        found = await ctx.org.list_teams(
            org_pb2.ListTeamsRequest(actor_user_id=caller.user_id, organization_id=organization_id)
        )
    except DomainError as error:
        return caller.refuse(error, YOU_ARE_NOT_A_MEMBER_403)
    return caller.answer([team_json(team) for team in found.teams])


@router.post("/organization/update-team")
async def update_team(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), UPDATE_TEAM)
    data = validate_body(body["data"], UPDATE_TEAM_DATA, source="body.data")
    caller = await org_caller(request)
    organization_id = caller.organization_id(data.get("organizationId"))
    try:
        team = await ctx.org.update_team(
            org_pb2.UpdateTeamRequest(
                actor_user_id=caller.user_id,
                team_id=str(body["teamId"]),
                organization_id=organization_id,
                name=text(data.get("name")),
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error, _TEAM_OF_NON_MEMBER)
    return caller.answer(team_json(team))


@router.post("/organization/remove-team")
async def remove_team(request: Request) -> Response:
    """Not the caller's active team, and not the organization's last (Better-Auth's rules)."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), REMOVE_TEAM)
    caller = await org_caller(request, unauthorized=ApiError(401))
    organization_id = caller.organization_id(body.get("organizationId"))
    team_id = str(body["teamId"])
    if caller.active_team_id == team_id:
        return caller.refuse(known(403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM"))
    try:
        await ctx.org.remove_team(
            org_pb2.RemoveTeamRequest(
                actor_user_id=caller.user_id,
                team_id=team_id,
                organization_id=organization_id,
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error, _TEAM_OF_NON_MEMBER)
    return caller.answer(TEAM_REMOVED)


@router.post("/organization/set-active-team")
async def set_active_team(request: Request) -> Response:
    """Sets (or with `teamId: null` clears) the session's active team, a team of the active
    organization the caller is in, and re-sets the session cookies."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), SET_ACTIVE_TEAM)
    caller = await org_caller(request)
    if "teamId" in body and body["teamId"] is None:
        if not caller.active_team_id:
            return caller.answer(None)
        session = await caller.set_active(team=choice(None))
        return caller.answer_with_session_cookies(None, session)
    team_id = text(body.get("teamId")) or caller.active_team_id
    if not team_id:
        return caller.answer(None)
    organization_id = caller.organization_id(None)
    try:
        found = await ctx.org.get_team_membership(
            org_pb2.GetTeamMembershipRequest(
                actor_user_id=caller.user_id, team_id=team_id, organization_id=organization_id
            )
        )
    except DomainError as error:
        not_in_team = known(403, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
        return caller.refuse(error, {"USER_IS_NOT_A_MEMBER_OF_THE_TEAM": not_in_team})
    session = await caller.set_active(team=choice(found.team.id))
    return caller.answer_with_session_cookies(team_json(found.team), session)


@router.get("/organization/list-user-teams")
async def list_user_teams(request: Request) -> Response:
    """The caller's teams: in every organization, or in `organizationId` when given. Another
    user's (`userId`), in `organizationId` or the active organization, needs member:update
    there (Better-Auth's rule, checked by the org service)."""
    ctx = context_of(request)
    query = validated_query(request, LIST_USER_TEAMS_QUERY)
    caller = await org_caller(request)
    target = text(query.get("userId"))
    listing = org_pb2.ListUserTeamsRequest(
        actor_user_id=caller.user_id, organization_id=text(query.get("organizationId"))
    )
    if target and target != caller.user_id:
        listing.user_id = target
        listing.organization_id = caller.organization_id(query.get("organizationId"))
    try:
        if listing.HasField("organization_id") and not listing.HasField("user_id"):
            # The caller's own teams in one organization: only a member of it may ask.
            await ctx.org.get_membership(
                org_pb2.GetMembershipRequest(
                    actor_user_id=caller.user_id,
                    organization=org_pb2.OrganizationRef(id=listing.organization_id),
                )
            )
        found = await ctx.org.list_user_teams(listing)
    except DomainError as error:
        if error.kind is ErrorKind.FAILED_PRECONDITION:  # the other user is not a member
            return caller.refuse(known(400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"))
        return caller.refuse(error, YOU_ARE_NOT_A_MEMBER_403)
    return caller.answer([team_json(team) for team in found.teams])


@router.get("/organization/list-team-members")
async def list_team_members(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, LIST_TEAM_MEMBERS_QUERY)
    caller = await org_caller(request)
    team_id = text(query.get("teamId")) or caller.active_team_id
    if not team_id:
        return caller.refuse(known(400, "YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM"))
    try:
        found = await ctx.org.list_team_members(
            org_pb2.ListTeamMembersRequest(actor_user_id=caller.user_id, team_id=team_id)
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer([team_member_json(member) for member in found.members])


@router.post("/organization/add-team-member")
async def add_team_member(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), TEAM_MEMBER)
    caller = await org_caller(request)
    organization_id = caller.organization_id(body.get("organizationId"))
    try:
        member = await ctx.org.add_team_member(
            org_pb2.AddTeamMemberRequest(
                actor_user_id=caller.user_id,
                team_id=str(body["teamId"]),
                user_id=str(body["userId"]),
                organization_id=organization_id,
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer(team_member_json(member))


@router.post("/organization/remove-team-member")
async def remove_team_member(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), TEAM_MEMBER)
    caller = await org_caller(request)
    organization_id = caller.organization_id(body.get("organizationId"))
    team_id = str(body["teamId"])
    user_id = str(body["userId"])
    try:
        await ctx.org.remove_team_member(
            org_pb2.RemoveTeamMemberRequest(
                actor_user_id=caller.user_id,
                team_id=team_id,
                user_id=user_id,
                organization_id=organization_id,
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    if user_id == caller.user_id and caller.active_team_id == team_id:
        await caller.set_active(team=choice(None))
    return caller.answer(TEAM_MEMBER_REMOVED)


@extras.post("/organization/set-team-member-role")
async def set_team_member_role(request: Request) -> Response:
    """Authmesh's team-scoped roles: `role` (names, or [] to clear) replaces the member's
    organization role within the team, for has-permission and CheckPermission with that
    team. The same rules as update-member-role apply (org.proto SetTeamMemberRole)."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), SET_TEAM_MEMBER_ROLE)
    caller = await org_caller(request)
    try:
        member = await ctx.org.set_team_member_role(
            org_pb2.SetTeamMemberRoleRequest(
                actor_user_id=caller.user_id,
                team_id=str(body["teamId"]),
                user_id=str(body["userId"]),
                roles=[name for name in names(body["role"]) if name],
                organization_id=text(body.get("organizationId")) or caller.active_organization_id,
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer(team_member_json(member))


# A team endpoint's refusal of a caller outside the organization: as a nonexistent team.
_TEAM_OF_NON_MEMBER = {
    "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": known(400, "TEAM_NOT_FOUND"),
}
