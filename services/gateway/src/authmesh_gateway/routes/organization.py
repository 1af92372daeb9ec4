"""Better-Auth's organization plugin (api.md §9.8), the organizations themselves: create,
check-slug, update, delete, set-active, get-organization, get-full-organization, list and
has-permission. Members and invitations are routes/organization_members.py, teams
routes/organization_teams.py, custom roles routes/organization_roles.py.

The org service authorizes (org.proto); this module resolves Better-Auth's defaults, keeps the
session's active organization and team (session service), and answers in Better-Auth's shape.
Deliberate differences are in WIRE-NOTES §16.
"""

import math
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.org.v1 import org_pb2
from authmesh_gateway.context import context_of
from authmesh_gateway.http_io import read_body
from authmesh_gateway.routes.organization_common import (
    NOT_A_MEMBER_403,
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
    organization_json,
    team_json,
)
from authmesh_gateway.wire.body import Body, JsonValue
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import json_stringify, to_number
from authmesh_gateway.wire.organization_schemas import (
    CHECK_SLUG,
    CREATE_ORGANIZATION,
    FULL_ORGANIZATION_QUERY,
    HAS_PERMISSION,
    ORGANIZATION_ID,
    ORGANIZATION_QUERY,
    SET_ACTIVE_ORGANIZATION,
    UPDATE_ORGANIZATION,
    UPDATE_ORGANIZATION_DATA,
)
from authmesh_gateway.wire.permissions import PermissionMap, permission_options
from authmesh_gateway.wire.query import query_object
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

_INT32_MAX = 2**31 - 1


def metadata_json(value: JsonValue, path: str) -> str:
    """Metadata as Better-Auth stores it: `JSON.stringify` of the object."""
    try:
        return json_stringify(value)
    except ValueError:  # a number too large for a double: no JSON value to store
        raise ApiError.validation(f"[{path}] Invalid input") from None


def validated_query(request: Request, schema: Any) -> dict[str, JsonValue]:
    return validate_body(query_object(request.query_params.multi_items()), schema, source="query")


def organization_ref(
    query: dict[str, JsonValue], active: str | None
) -> org_pb2.OrganizationRef | None:
    """Better-Auth's `organizationSlug || organizationId || activeOrganizationId`."""
    slug, given = text(query.get("organizationSlug")), text(query.get("organizationId"))
    if slug:
        return org_pb2.OrganizationRef(slug=slug)
    chosen = given or active
    return org_pb2.OrganizationRef(id=chosen) if chosen else None


# --- create, check-slug, update, delete -------------------------------------------------------


@router.post("/organization/create")
async def create_organization(request: Request) -> Response:
    """The organization with its creator as owner and a default team; both become the
    session's active ones in the session service only: Better-Auth re-sets no cookie here."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), CREATE_ORGANIZATION)
    caller = await org_caller(request, unauthorized=ApiError(401))
    metadata = body.get("metadata")
    logo = text(body.get("logo"))
    try:
        created = await ctx.org.create_organization(
            org_pb2.CreateOrganizationRequest(
                actor_user_id=caller.user_id,
                name=str(body["name"]),
                slug=str(body["slug"]),
                logo=logo,
                metadata_json=(
                    metadata_json(metadata, "body.metadata") if isinstance(metadata, dict) else None
                ),
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    if body.get("keepCurrentActiveOrganization") is not True:
        default_team = created.default_team.id if created.HasField("default_team") else None
        await caller.set_active(
            organization=choice(created.organization.id), team=choice(default_team)
        )
    answer = organization_json(created.organization, parse_metadata=True)
    if "metadata" not in body:  # Better-Auth answers what it stored: no key without one
        del answer["metadata"]
    answer["members"] = [member_json(created.member)]
    return caller.answer(answer)


@router.post("/organization/check-slug")
async def check_slug(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), CHECK_SLUG)
    caller = await org_caller(request)
    try:
        await ctx.org.check_slug(
            org_pb2.CheckSlugRequest(actor_user_id=caller.user_id, slug=str(body["slug"]))
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer({"status": True})


@router.post("/organization/update")
async def update_organization(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), UPDATE_ORGANIZATION)
    data_body = body["data"]
    data = validate_body(data_body, UPDATE_ORGANIZATION_DATA, source="body.data")
    caller = await org_caller(request, unauthorized=ApiError(401, None, "User not found"))
    organization_id = text(body.get("organizationId")) or caller.active_organization_id
    if not organization_id:
        return caller.refuse(known(400, "ORGANIZATION_NOT_FOUND"))
    update = org_pb2.UpdateOrganizationRequest(
        actor_user_id=caller.user_id, organization_id=organization_id, actor=caller.actor()
    )
    for key, field in (("name", "name"), ("slug", "slug")):
        if isinstance(data.get(key), str):
            setattr(update, field, str(data[key]))
    if "logo" in data:
        update.logo = str(data["logo"] or "")  # null clears it
    if isinstance(data.get("metadata"), dict):
        update.metadata_json = metadata_json(data["metadata"], "body.data.metadata")
    try:
        organization = await ctx.org.update_organization(update)
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer(organization_json(organization, parse_metadata=True))


@router.post("/organization/delete")
async def delete_organization(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), ORGANIZATION_ID)
    caller = await org_caller(request, unauthorized=ApiError(401))
    organization_id = str(body["organizationId"])
    if not organization_id:
        return caller.refuse(known(400, "ORGANIZATION_NOT_FOUND"))
    try:
        organization = await ctx.org.delete_organization(
            org_pb2.DeleteOrganizationRequest(
                actor_user_id=caller.user_id,
                organization_id=organization_id,
                actor=caller.actor(),
            )
        )
    except DomainError as error:
        return caller.refuse(error)
    if caller.active_organization_id == organization.id:
        # The deleted organization's teams went with it: neither stays active.
        await caller.set_active(organization=choice(None), team=choice(None))
    return caller.answer(organization_json(organization))


# --- the active organization ------------------------------------------------------------------


@router.post("/organization/set-active")
async def set_active_organization(request: Request) -> Response:
    """Sets (or with `organizationId: null` clears) the session's active organization and
    re-sets the session cookies. A new organization leaves no team of the old one active."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), SET_ACTIVE_ORGANIZATION)
    caller = await org_caller(request)
    active = caller.active_organization_id
    if "organizationId" in body and body["organizationId"] is None:
        if not active:
            return caller.answer(None)
        session = await caller.set_active(organization=choice(None), team=choice(None))
        return caller.answer_with_session_cookies(None, session)
    ref = organization_ref(body, active)
    if ref is None:
        return caller.answer(None)
    try:
        found = await ctx.org.get_membership(
            org_pb2.GetMembershipRequest(actor_user_id=caller.user_id, organization=ref)
        )
    except DomainError as error:
        return caller.refuse(error, NOT_A_MEMBER_403)
    organization = found.organization
    changed_org = organization.id != active
    session = await caller.set_active(
        organization=choice(organization.id), team=choice(None) if changed_org else None
    )
    return caller.answer_with_session_cookies(organization_json(organization), session)


@router.get("/organization/get-organization")
async def get_organization(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, ORGANIZATION_QUERY)
    caller = await org_caller(request)
    ref = organization_ref(query, caller.active_organization_id)
    if ref is None:
        return caller.answer(None)
    try:
        found = await ctx.org.get_membership(
            org_pb2.GetMembershipRequest(actor_user_id=caller.user_id, organization=ref)
        )
    except DomainError as error:
        return caller.refuse(error, NOT_A_MEMBER_403)
    return caller.answer(organization_json(found.organization))


def members_limit(raw: JsonValue) -> int | None:
    """`z.number().or(z.string().transform(parseInt))`: a usable positive count, or None
    (the membership limit applies)."""
    number = to_number(raw) if isinstance(raw, str) else raw
    if not isinstance(number, int | float) or isinstance(number, bool):
        return None
    if math.isnan(number) or math.isinf(number) or number < 1:
        return None
    return min(int(number), _INT32_MAX)


@router.get("/organization/get-full-organization")
async def get_full_organization(request: Request) -> Response:
    ctx = context_of(request)
    query = validated_query(request, FULL_ORGANIZATION_QUERY)
    caller = await org_caller(request)
    ref = organization_ref(query, caller.active_organization_id)
    if ref is None:
        return caller.answer(None)
    try:
        full = await ctx.org.get_full_organization(
            org_pb2.GetFullOrganizationRequest(
                actor_user_id=caller.user_id,
                organization=ref,
                members_limit=members_limit(query.get("membersLimit")),
            )
        )
    except DomainError as error:
        return caller.refuse(error, NOT_A_MEMBER_403)
    users = await UserDirectory.of(ctx.identity, (member.user_id for member in full.members))
    answer = organization_json(full.organization)
    answer["invitations"] = [invitation_json(each) for each in full.invitations]
    answer["members"] = users.members_json(full.members)
    answer["teams"] = [team_json(team) for team in full.teams]
    return caller.answer(answer)


@router.get("/organization/list")
async def list_organizations(request: Request) -> Response:
    ctx = context_of(request)
    caller = await org_caller(request)
    try:
        found = await ctx.org.list_organizations(
            org_pb2.ListOrganizationsRequest(actor_user_id=caller.user_id)
        )
    except DomainError as error:
        return caller.refuse(error)
    return caller.answer([organization_json(each) for each in found.organizations])


# --- has-permission ---------------------------------------------------------------------------


def checked_permissions(body: Body) -> tuple[dict[str, JsonValue], PermissionMap]:
    """Either the legacy `permission` or `permissions` is checked (WIRE-NOTES §16)."""
    fields, legacy, permissions = permission_options(body, HAS_PERMISSION)
    chosen = permissions if permissions is not None else legacy
    assert chosen is not None  # permission_options lets exactly one through
    return fields, chosen


@router.post("/organization/has-permission")
async def has_permission(request: Request) -> Response:
    """Whether the caller's role in the organization (with Authmesh's `teamId`: their role in
    that team) allows every action asked; a non-member is 401, as in Better-Auth."""
    ctx = context_of(request)
    fields, permissions = checked_permissions(await read_body(request, ctx))
    caller = await org_caller(request)
    check = org_pb2.CheckPermissionRequest(
        user_id=caller.user_id,
        organization_id=caller.organization_id(fields.get("organizationId")),
        team_id=text(fields.get("teamId")),
    )
    for resource, actions in permissions.items():
        check.permissions[resource].actions.extend(actions)
    try:
        answer = await ctx.org.check_permission(check)
    except DomainError as error:
        return caller.refuse(error)
    if not answer.member:
        return caller.refuse(known(401, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"))
    return caller.answer({"error": None, "success": answer.allowed})


__all__ = ["OrgCaller", "router"]
