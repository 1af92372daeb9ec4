"""Better-Auth's organization plugin (api.md §9.8), members and invitations: list-members,
update-member-role, remove-member, leave, get-active-member, get-active-member-role,
invite-member, get-invitation, accept-, reject- and cancel-invitation, list-invitations and
list-user-invitations.

Members carry `user: {id, name, email, image}`, joined from identity in one batch call per
answer. Invitations are bound to the invited address: the routes pass the caller's email and
whether it is verified, and the org service decides (org.proto).
"""

from typing import TypedDict

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.org.v1 import org_pb2
from authmesh_gateway.context import context_of
from authmesh_gateway.http_io import read_body
from authmesh_gateway.routes.organization import organization_ref, validated_query
from authmesh_gateway.routes.organization_common import (
    NOT_A_MEMBER_IS_MEMBER_NOT_FOUND,
    YOU_ARE_NOT_A_MEMBER_403,
    OrgCaller,
    choice,
    known,
    org_caller,
    text,
)
from authmesh_gateway.serialize_org import (
    UserDirectory,
    invitation_json,
    member_json,
    member_user_json,
)
from authmesh_gateway.wire.body import JsonValue
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import number_to_string, to_number
from authmesh_gateway.wire.organization_schemas import (
    ACTIVE_MEMBER_ROLE_QUERY,
    GET_INVITATION_QUERY,
    INVITATION_ID,
    INVITE_MEMBER,
    LIST_MEMBERS_QUERY,
    LIST_USER_INVITATIONS_QUERY,
    ORGANIZATION_ID,
    ORGANIZATION_ID_QUERY,
    REMOVE_MEMBER,
    UPDATE_MEMBER_ROLE,
)
from authmesh_gateway.wire.validation import is_email, validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

_INT32_MAX = 2**31 - 1
NOT_A_MEMBER_MESSAGE = "You are not a member of this organization"
# Another address's invitation answers as a nonexistent one: its id is the accept link's secret,
# and a 403 would confirm that it exists (WIRE-NOTES §16).
NOT_THE_RECIPIENT_IS_NOT_FOUND = {
    "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION": known(400, "INVITATION_NOT_FOUND")
}


def names(value: JsonValue) -> list[str]:
    """A role or team id field (`string | string[]`) as names: a string may hold several,
    comma-separated, as Better-Auth stores them. Nothing is trimmed or case-folded: the org
    service refuses a padded or case-variant name instead of guessing what was meant."""
    items = value if isinstance(value, list) else [value]
    return [part for item in items if isinstance(item, str) for part in item.split(",")]


# reject-invitation words it with an exclamation mark (better-auth 1.7.25).
_REJECT_NOT_FOUND = ApiError(400, "INVITATION_NOT_FOUND", "Invitation not found!")
REJECT_NOT_FOUND = {
    "INVITATION_NOT_FOUND": _REJECT_NOT_FOUND,
    "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION": _REJECT_NOT_FOUND,
}


# --- members ----------------------------------------------------------------------------------


def _page_number(raw: JsonValue) -> int | None:
    """Better-Auth's `Number(value)` for limit and offset; None when it is no usable count."""
    number = to_number(raw) if isinstance(raw, str) else raw
    if not isinstance(number, int | float) or isinstance(number, bool):
        return None
    if number != number or number < 0 or number in (float("inf"), float("-inf")):
        return None
    return min(int(number), _INT32_MAX)


def _filter_value(raw: JsonValue) -> str:
    """The filter value as the org service takes it: text, a list comma-joined (for `in`)."""
    if isinstance(raw, list):
        return ",".join(_filter_value(each) for each in raw)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return number_to_string(float(raw))
    return str(raw)


@router.get("/organization/list-members")
async def list_members(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, LIST_MEMBERS_QUERY)
    caller = await org_caller(request)
    try:
        organization_id = text(query.get("organizationId")) or caller.active_organization_id
        slug = text(query.get("organizationSlug"))
        if slug:
            found = await ctx.org.get_membership(
                org_pb2.GetMembershipRequest(
                    actor_user_id=caller.user_id, organization=org_pb2.OrganizationRef(slug=slug)
                )
            )
            organization_id = found.organization.id
        if not organization_id:
            return caller.refuse(known(400, "NO_ACTIVE_ORGANIZATION"))
        listing = org_pb2.ListMembersRequest(
            actor_user_id=caller.user_id,
            organization_id=organization_id,
            limit=_page_number(query.get("limit")) or None,
            offset=_page_number(query.get("offset")),
            sort_by=text(query.get("sortBy")),
            sort_direction=text(query.get("sortDirection")),
        )
        if text(query.get("filterField")):
            listing.filter_field = str(query["filterField"])
            listing.filter_value = _filter_value(query.get("filterValue", ""))
            if text(query.get("filterOperator")):
                listing.filter_operator = str(query["filterOperator"])
        page = await ctx.org.list_members(listing)
    except DomainError as error:
        return caller.refuse(error, YOU_ARE_NOT_A_MEMBER_403)
    users = await UserDirectory.of(ctx.identity, (member.user_id for member in page.members))
    return caller.answer({"members": users.members_json(page.members), "total": page.total})


@router.post("/organization/update-member-role")
async def update_member_role(request: Request) -> Response:
    """Only an owner grants or removes owner, nobody raises their own role, and the last owner
    keeps it: the org service's rules (org.proto UpdateMemberRole)."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), UPDATE_MEMBER_ROLE)
    caller = await org_caller(request)
    roles = names(body["role"])
    if not any(roles):  # Better-Auth: `!role`, or no role in the list: 400 with no body
        return caller.refuse(ApiError(400))
    try:
        member = await ctx.org.update_member_role(
            org_pb2.UpdateMemberRoleRequest(
                actor_user_id=caller.user_id,
                organization_id=caller.organization_id(body.get("organizationId")),
                member_id=str(body["memberId"]),
                roles=roles,
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error, NOT_A_MEMBER_IS_MEMBER_NOT_FOUND)
    return caller.answer(member_json(member))


@router.post("/organization/remove-member")
async def remove_member(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), REMOVE_MEMBER)
    caller = await org_caller(request)
    organization_id = caller.organization_id(body.get("organizationId"))
    target = str(body["memberIdOrEmail"])
    removal = org_pb2.RemoveMemberRequest(
        actor_user_id=caller.user_id, organization_id=organization_id, actor=caller.actor()
    )
    try:
        if "@" in target:
            users = await ctx.identity.lookup_users(emails=[target.lower()])
            if not users:
                return caller.refuse(known(400, "MEMBER_NOT_FOUND"))
            removal.user_id = users[0].id
        else:
            removal.member_id = target
        member = await ctx.org.remove_member(removal)
    except DomainError as error:
        return caller.refuse(error, NOT_A_MEMBER_IS_MEMBER_NOT_FOUND)
    if member.user_id == caller.user_id and caller.active_organization_id == organization_id:
        await caller.set_active(organization=choice(None), team=choice(None))
    return caller.answer({"member": member_json(member)})


@router.post("/organization/leave")
async def leave_organization(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), ORGANIZATION_ID)
    caller = await org_caller(request)
    organization_id = str(body["organizationId"])
    try:
        member = await ctx.org.leave_organization(
            org_pb2.LeaveOrganizationRequest(
                actor_user_id=caller.user_id,
                organization_id=organization_id,
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error, NOT_A_MEMBER_IS_MEMBER_NOT_FOUND)
    if caller.active_organization_id == organization_id:
        await caller.set_active(organization=choice(None), team=choice(None))
    return caller.answer(member_json(member))


@router.get("/organization/get-active-member")
async def get_active_member(request: Request) -> Response:
    ctx = context_of(request)
    caller = await org_caller(request)
    organization_id = caller.organization_id(None)
    try:
        found = await ctx.org.get_membership(
            org_pb2.GetMembershipRequest(
                actor_user_id=caller.user_id,
                organization=org_pb2.OrganizationRef(id=organization_id),
            )
        )
    except DomainError as error:
        return caller.refuse(error, NOT_A_MEMBER_IS_MEMBER_NOT_FOUND)
    answer = member_json(found.member)
    answer["user"] = member_user_json(caller.current.user)
    return caller.answer(answer)


@router.get("/organization/get-active-member-role")
async def get_active_member_role(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, ACTIVE_MEMBER_ROLE_QUERY)
    caller = await org_caller(request)
    ref = organization_ref(query, caller.active_organization_id)
    if ref is None:
        return caller.refuse(known(400, "NO_ACTIVE_ORGANIZATION"))
    try:
        found = await ctx.org.get_membership(
            org_pb2.GetMembershipRequest(
                actor_user_id=caller.user_id, organization=ref, user_id=text(query.get("userId"))
            )
        )
    except DomainError as error:
        not_a_member = known(403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
        return caller.refuse(
            error,
            {
                "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": not_a_member,
                "MEMBER_NOT_FOUND": not_a_member,
            },
        )
    return caller.answer({"role": found.member.role})


# --- invitations ------------------------------------------------------------------------------


@router.post("/organization/invite-member")
async def invite_member(request: Request) -> Response:
    """Mailed by the org service through notify. The address's user, when one exists, is
    looked up here so that inviting a member is refused (USER_IS_ALREADY_A_MEMBER_...)."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), INVITE_MEMBER)
    caller = await org_caller(request)
    organization_id = text(body.get("organizationId")) or caller.active_organization_id
    if not organization_id:
        return caller.refuse(known(400, "ORGANIZATION_NOT_FOUND"))
    email = str(body["email"]).lower()
    if not is_email(email):
        return caller.refuse(known(400, "INVALID_EMAIL"))
    try:
        invitees = await ctx.identity.lookup_users(emails=[email])
        invitation = await ctx.org.create_invitation(
            org_pb2.CreateInvitationRequest(
                actor_user_id=caller.user_id,
                organization_id=organization_id,
                email=email,
                roles=names(body["role"]),
                team_ids=names(body["teamId"]) if "teamId" in body else [],
                resend=body.get("resend") is True,
                invitee_user_id=invitees[0].id if invitees else None,
                inviter_name=caller.current.user.name,
                inviter_email=caller.current.user.email,
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error, NOT_A_MEMBER_IS_MEMBER_NOT_FOUND)
    return caller.answer(invitation_json(invitation))


class _Recipient(TypedDict):
    actor_user_id: str
    actor_email: str
    actor_email_verified: bool


def _recipient(caller: OrgCaller) -> _Recipient:
    """The fields by which the org service decides whether an invitation is the caller's."""
    user = caller.current.user
    return _Recipient(
        actor_user_id=caller.user_id,
        actor_email=user.email,
        actor_email_verified=user.email_verified,
    )


@router.get("/organization/get-invitation")
async def get_invitation(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, GET_INVITATION_QUERY)
    caller = await org_caller(request, unauthorized=ApiError(401, None, "Not authenticated"))
    try:
        found = await ctx.org.get_invitation(
            org_pb2.GetInvitationRequest(
                invitation_id=str(query["id"]),
                **_recipient(caller),
            )
        )
        inviters = await ctx.identity.lookup_users(user_ids=[found.invitation.inviter_id])
    except DomainError as error:
        return caller.refuse(error, NOT_THE_RECIPIENT_IS_NOT_FOUND)
    answer = invitation_json(found.invitation)
    answer["organizationName"] = found.organization_name
    answer["organizationSlug"] = found.organization_slug
    answer["inviterEmail"] = inviters[0].email if inviters else None
    return caller.answer(answer)


@router.post("/organization/accept-invitation")
async def accept_invitation(request: Request) -> Response:
    """One-time (the org service's conditional update); the organization, and the invitation's
    first team, become the session's active ones in the session service."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), INVITATION_ID)
    caller = await org_caller(request)
    try:
        accepted = await ctx.org.accept_invitation(
            org_pb2.AcceptInvitationRequest(
                invitation_id=str(body["invitationId"]),
                **_recipient(caller),
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error, NOT_THE_RECIPIENT_IS_NOT_FOUND)
    team = accepted.team_id if accepted.HasField("team_id") else None
    await caller.set_active(organization=choice(accepted.member.organization_id), team=choice(team))
    return caller.answer(
        {"invitation": invitation_json(accepted.invitation), "member": member_json(accepted.member)}
    )


@router.post("/organization/reject-invitation")
async def reject_invitation(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), INVITATION_ID)
    caller = await org_caller(request)
    try:
        invitation = await ctx.org.reject_invitation(
            org_pb2.RejectInvitationRequest(
                invitation_id=str(body["invitationId"]),
                **_recipient(caller),
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error, REJECT_NOT_FOUND)
    return caller.answer({"invitation": invitation_json(invitation), "member": None})


@router.post("/organization/cancel-invitation")
async def cancel_invitation(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), INVITATION_ID)
    caller = await org_caller(request)
    try:
        invitation = await ctx.org.cancel_invitation(
            org_pb2.CancelInvitationRequest(
                actor_user_id=caller.user_id,
                invitation_id=str(body["invitationId"]),
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer(invitation_json(invitation))


@router.get("/organization/list-invitations")
async def list_invitations(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, ORGANIZATION_ID_QUERY)
    caller = await org_caller(request)
    organization_id = text(query.get("organizationId")) or caller.active_organization_id
    if not organization_id:
        return caller.refuse(ApiError(400, None, "Organization ID is required"))
    try:
        found = await ctx.org.list_invitations(
            org_pb2.ListInvitationsRequest(
                actor_user_id=caller.user_id, organization_id=organization_id
            )
        )
    except DomainError as error:
        not_a_member = ApiError(403, None, NOT_A_MEMBER_MESSAGE)  # message only, as Better-Auth
        return caller.refuse(error, {"USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": not_a_member})
    return caller.answer([invitation_json(each) for each in found.invitations])


@router.get("/organization/list-user-invitations")
async def list_user_invitations(request: Request) -> Response:
    """The caller's pending invitations, only once their address is verified. `email` is
    Better-Auth's server-side parameter: refused over HTTP."""
    ctx = context_of(request)
    query = validated_query(request, LIST_USER_INVITATIONS_QUERY)
    if query.get("email"):
        raise ApiError(400, None, "User email cannot be passed for client side API calls.")
    caller = await org_caller(
        request,
        unauthorized=ApiError(400, None, "Missing session headers, or email query parameter."),
    )
    try:
        found = await ctx.org.list_user_invitations(
            org_pb2.ListUserInvitationsRequest(
                **_recipient(caller),
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer(
        [
            invitation_json(each.invitation) | {"organizationName": each.organization_name}
            for each in found.invitations
        ]
    )
