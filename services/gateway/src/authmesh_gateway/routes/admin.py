"""Better-Auth's admin plugin (api.md §9.9), the users half: list-users, get-user, create-user,
update-user, set-role, set-user-password, remove-user and has-permission (the sessions half,
bans and impersonation are routes/admin_sessions.py).

Identity decides who may do what (its AdminService checks the acting admin's permissions on
its own data); the gateway reads the caller's session authoritatively, as Better-Auth's
`adminMiddleware` does: zod first, then 401 with an empty body without a session. Every answer
after that read re-sets the `session_data` cookie, errors included, as Better-Auth's
authoritative read does. Deliberate differences are in WIRE-NOTES §15.
"""

import math
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import admin_pb2
from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, error_response, json_response, read_body
from authmesh_gateway.serialize import user_json
from authmesh_gateway.sessions.account_changes import revoke_user_sessions
from authmesh_gateway.sessions.cookies import renew_cookie_cache, session_answer
from authmesh_gateway.sessions.current import CurrentSession, current_session
from authmesh_gateway.wire.body import Body, JsonValue
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import to_number, to_string
from authmesh_gateway.wire.permissions import PermissionMap, permission_options
from authmesh_gateway.wire.query import query_object
from authmesh_gateway.wire.schemas import (
    ADMIN_UPDATE_USER,
    ADMIN_USER_ID,
    CREATE_USER,
    GET_USER_QUERY,
    HAS_PERMISSION,
    LIST_USERS_QUERY,
    SET_ROLE,
    SET_USER_PASSWORD,
)
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

_INT32_MAX = 2**31 - 1
# A page number Better-Auth's database refuses (negative, fractional): the listing matches
# nothing (admin.proto ListUsersRequest).
_REFUSED_PAGE_NUMBER = -1
NO_PERMISSIONS_MESSAGE = "invalid permission check. no permission(s) were passed."


# --- shared by the admin routes ---------------------------------------------------------------


async def admin_session(request: Request, ctx: GatewayContext) -> CurrentSession:
    """Better-Auth's `adminMiddleware`: the session, read authoritatively; 401 with no body
    without one."""
    current = await current_session(request, ctx)
    if current is None:
        raise ApiError(401)
    return current


def admin_actor(
    request: Request, ctx: GatewayContext, current: CurrentSession
) -> envelope_pb2.Actor:
    actor = actor_of(request, ctx)
    actor.kind = envelope_pb2.ACTOR_KIND_ADMIN
    actor.user_id = current.user.id
    return actor


def answered(
    request: Request, ctx: GatewayContext, current: CurrentSession, response: Response
) -> Response:
    """The answer, with the cookie cache Better-Auth's authoritative session read writes."""
    renew_cookie_cache(
        response,
        ctx,
        request,
        token=current.token,
        session_and_user=session_answer(current.session, current.user),
        dont_remember=current.session.dont_remember,
        authoritative=True,
    )
    return response


def refused(
    request: Request, ctx: GatewayContext, current: CurrentSession, error: DomainError | ApiError
) -> Response:
    """A refusal after the session was read, in Better-Auth's words (and with its cookie)."""
    found = error if isinstance(error, ApiError) else admin_api_error(error)
    return answered(request, ctx, current, error_response(found))


def admin_api_error(error: DomainError) -> ApiError:
    """Identity's admin refusals; those the admin plugin words otherwise than the rest of
    Better-Auth, then the usual mapping."""
    if error.reason == "EMAIL_TAKEN":  # 400 here, where sign-up answers 422
        return ApiError.from_code(400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
    field = error.metadata.get("field", "")
    if error.reason == "INVALID_USER_FIELD":
        expected, received = error.metadata.get("expected"), error.metadata.get("received")
        return ApiError.validation(
            f"[body.data.{field}] Invalid input: expected {expected}, received {received}"
        )
    if error.reason == "USER_FIELD_TOO_LONG":
        limit = error.metadata.get("max_length")
        return ApiError.validation(
            f"[body.data.{field}] Too big: expected string to have <={limit} characters"
        )
    if error.reason == "SEARCH_TIMEOUT":
        return ApiError(503, error.reason, error.message)
    return api_error(error)


def user_id_of(body: dict[str, JsonValue]) -> str:
    """`z.coerce.string()`: what JavaScript's `String()` makes of the value."""
    return to_string(body["userId"])


def roles_of(role: JsonValue) -> list[str]:
    """`role` as validated: a name, or names."""
    return [str(name) for name in role] if isinstance(role, list) else [str(role)]


# --- list-users -------------------------------------------------------------------------------


def page_number(raw: JsonValue) -> int:
    """Better-Auth's `Number(value) || undefined`: 0 when absent (or NaN, or 0); a number its
    database refuses (negative, fractional) is `_REFUSED_PAGE_NUMBER`."""
    if isinstance(raw, str):
        number = to_number(raw)
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
    else:
        return 0
    if math.isnan(number) or number == 0:
        return 0
    if number < 0 or not number.is_integer():  # Infinity too
        return _REFUSED_PAGE_NUMBER
    return min(int(number), _INT32_MAX)


def _listing(admin_user_id: str, query: dict[str, JsonValue]) -> admin_pb2.ListUsersRequest:
    request = admin_pb2.ListUsersRequest(
        admin_user_id=admin_user_id,
        limit=page_number(query.get("limit")),
        offset=page_number(query.get("offset")),
    )
    if query.get("searchValue"):  # Better-Auth ignores an empty search
        request.search.CopyFrom(
            admin_pb2.UserSearch(
                field=str(query.get("searchField") or ""),
                operator=str(query.get("searchOperator") or ""),
                value=str(query["searchValue"]),
            )
        )
    if "filterValue" in query:
        value = query["filterValue"]
        request.filter.CopyFrom(
            admin_pb2.UserFilter(
                field=str(query.get("filterField") or ""),
                operator=str(query.get("filterOperator") or ""),
                values=[str(each) for each in value] if isinstance(value, list) else [str(value)],
            )
        )
    if query.get("sortBy"):
        request.sort.CopyFrom(
            admin_pb2.UserSort(
                field=str(query["sortBy"]), descending=query.get("sortDirection") == "desc"
            )
        )
    return request


@router.get("/admin/list-users")
async def list_users(request: Request) -> Response:
    ctx = context_of(request)
    query = validate_body(
        query_object(request.query_params.multi_items()), LIST_USERS_QUERY, source="query"
    )
    current = await admin_session(request, ctx)
    listing = _listing(current.user.id, query)
    try:
        page = await ctx.admin.list_users(listing)
    except DomainError as error:
        return refused(request, ctx, current, error)
    answer: dict[str, Any] = {
        "users": [user_json(user) for user in page.users],
        "total": page.total,
    }
    if not page.unsupported:  # Better-Auth's answer to a refused listing has neither
        if listing.limit:
            answer["limit"] = page.limit
        if listing.offset:
            answer["offset"] = listing.offset
    return answered(request, ctx, current, json_response(answer))


# --- one user ---------------------------------------------------------------------------------


@router.get("/admin/get-user")
async def get_user(request: Request) -> Response:
    ctx = context_of(request)
    query = validate_body(
        query_object(request.query_params.multi_items()), GET_USER_QUERY, source="query"
    )
    current = await admin_session(request, ctx)
    try:
        user = await ctx.admin.get_user(admin_user_id=current.user.id, user_id=str(query["id"]))
    except DomainError as error:
        return refused(request, ctx, current, error)
    return answered(request, ctx, current, json_response(user_json(user)))


@router.post("/admin/create-user")
async def create_user(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), CREATE_USER)
    current = await admin_session(request, ctx)
    data = body.get("data")
    password = body.get("password")
    try:
        user = await ctx.admin.create_user(
            admin_user_id=current.user.id,
            email=str(body["email"]),
            password=str(password) if password is not None else None,
            name=str(body["name"]),
            roles=roles_of(body["role"]) if "role" in body else None,
            data=data if isinstance(data, dict) else {},
            actor=admin_actor(request, ctx, current),
        )
    except DomainError as error:
        return refused(request, ctx, current, error)
    return answered(request, ctx, current, json_response({"user": user_json(user)}))


@router.post("/admin/update-user")
async def update_user(request: Request) -> Response:
    """Returns the user itself, not `{user}`, as Better-Auth does. `banned: true` ends all the
    user's sessions, as ban-user does."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), ADMIN_UPDATE_USER)
    current = await admin_session(request, ctx)
    data = body["data"]
    assert isinstance(data, dict)  # validated as a record
    actor = admin_actor(request, ctx, current)
    try:
        user = await ctx.admin.update_user(
            admin_user_id=current.user.id, user_id=user_id_of(body), data=data, actor=actor
        )
    except DomainError as error:
        return refused(request, ctx, current, error)
    if data.get("banned") is True:
        await revoke_user_sessions(ctx, user.id, reason="banned", actor=actor)
    ctx.cache.evict_user(user.id)  # get-session shows the user: at once on this replica
    return answered(request, ctx, current, json_response(user_json(user)))


@router.post("/admin/set-role")
async def set_role(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), SET_ROLE)
    current = await admin_session(request, ctx)
    try:
        user = await ctx.admin.set_role(
            admin_user_id=current.user.id,
            user_id=user_id_of(body),
            roles=roles_of(body["role"]),
            actor=admin_actor(request, ctx, current),
        )
    except DomainError as error:
        return refused(request, ctx, current, error)
    ctx.cache.evict_user(user.id)
    return answered(request, ctx, current, json_response({"user": user_json(user)}))


@router.post("/admin/set-user-password")
async def set_user_password(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), SET_USER_PASSWORD)
    current = await admin_session(request, ctx)
    try:
        await ctx.admin.set_user_password(
            admin_user_id=current.user.id,
            user_id=user_id_of(body),
            new_password=str(body["newPassword"]),
            actor=admin_actor(request, ctx, current),
        )
    except DomainError as error:
        return refused(request, ctx, current, error)
    return answered(request, ctx, current, json_response({"status": True}))


@router.post("/admin/remove-user")
async def remove_user(request: Request) -> Response:
    """delete-user's deletion (user.deleted), then every session of the user."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), ADMIN_USER_ID)
    current = await admin_session(request, ctx)
    user_id = user_id_of(body)
    actor = admin_actor(request, ctx, current)
    try:
        await ctx.admin.remove_user(admin_user_id=current.user.id, user_id=user_id, actor=actor)
    except DomainError as error:
        return refused(request, ctx, current, error)
    await revoke_user_sessions(ctx, user_id, reason="user-deleted", actor=actor)
    return answered(request, ctx, current, json_response({"success": True}))


# --- has-permission ---------------------------------------------------------------------------


def checked_permissions(body: Body) -> PermissionMap:
    """A valid legacy `permission` alone passes zod but, stripped by it, leaves no
    `permissions`: 400, as Better-Auth's admin plugin answers."""
    _, _, permissions = permission_options(body, HAS_PERMISSION)
    if permissions is None:
        raise ApiError(400, None, NO_PERMISSIONS_MESSAGE)
    return permissions


@router.post("/admin/has-permission")
async def has_permission(request: Request) -> Response:
    """Whether the caller may do all of `permissions`. The body's `userId` and `role` serve
    server-side calls only: over HTTP the session's user is asked about."""
    ctx = context_of(request)
    permissions = checked_permissions(await read_body(request, ctx))
    current = await admin_session(request, ctx)
    try:
        allowed = await ctx.admin.check_permission(current.user.id, list(permissions.items()))
    except DomainError as error:
        return refused(request, ctx, current, error)
    return answered(request, ctx, current, json_response({"error": None, "success": allowed}))
