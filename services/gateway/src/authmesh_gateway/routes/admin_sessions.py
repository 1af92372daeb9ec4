"""Better-Auth's admin plugin (api.md §9.9), the sessions half: ban-user and unban-user,
list-user-sessions, revoke-user-session(s), impersonate-user and stop-impersonating.

A ban ends every session of the user at once: identity commits the ban (user.banned), the
gateway revokes at the session service, which publishes one auth.session.session.revoked per
session (every gateway replica evicts it), and the session service's consumer of user.banned
guarantees it if that call fails. Sessions are the session service's, so the gateway asks
identity whether the admin may list or revoke them (CheckPermission) before it does.

Impersonation: identity says whom the admin may impersonate (not admins, without
`impersonate-admins`; not a banned user); the session service opens a one-hour session as the
user that carries `impersonatedBy` (shown in the session JSON, announced to audit as
auth.session.impersonation.started) with `dont_remember` semantics, and the admin's own session
waits in the `admin_session` cookie (sessions/impersonation.py) for stop-impersonating.
"""

import hashlib

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import error_response, json_response, read_body
from authmesh_gateway.routes.admin import (
    admin_actor,
    admin_session,
    answered,
    refused,
    user_id_of,
)
from authmesh_gateway.serialize import listed_session_json, session_json, user_json
from authmesh_gateway.sessions.account_changes import revoke_user_sessions
from authmesh_gateway.sessions.cookies import clear_session_cookies, set_session_cookies
from authmesh_gateway.sessions.current import CurrentSession, current_session
from authmesh_gateway.sessions.impersonation import (
    admin_session_token,
    expire_admin_session_cookie,
    set_admin_session_cookie,
)
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.schemas import ADMIN_USER_ID, BAN_USER, REVOKE_USER_SESSION
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

# No session token or id is longer; the session service would refuse one as malformed.
_MAX_SESSION_REFERENCE = 128
_LIST_SESSIONS = ("list", "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS")
_REVOKE_SESSIONS = ("revoke", "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS")
NOT_IMPERSONATING = "You are not impersonating anyone"


async def _require_session_permission(
    ctx: GatewayContext, current: CurrentSession, permission: tuple[str, str]
) -> None:
    """403 with Better-Auth's code unless identity grants the admin `session:<action>`."""
    action, refusal = permission
    if not await ctx.admin.check_permission(current.user.id, [("session", [action])]):
        raise ApiError.from_code(403, refusal)


# --- bans ----------------------------------------------------------------------------------------


@router.post("/admin/ban-user")
async def ban_user(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), BAN_USER)
    current = await admin_session(request, ctx)
    actor = admin_actor(request, ctx, current)
    expires_in = body.get("banExpiresIn")
    try:
        user = await ctx.admin.ban_user(
            admin_user_id=current.user.id,
            user_id=user_id_of(body),
            reason=str(body["banReason"]) if "banReason" in body else None,
            expires_in_s=float(expires_in) if isinstance(expires_in, int | float) else None,
            actor=actor,
        )
    except DomainError as error:
        if error.reason == "INVALID_BAN_EXPIRY":  # zod's words for a bound it would check
            bound = error.metadata.get("max_s")
            negative = isinstance(expires_in, int | float) and expires_in < 0
            issue = (
                f"Too small: expected number to be >=-{bound}"
                if negative
                else f"Too big: expected number to be <={bound}"
            )
            validation = ApiError.validation(f"[body.banExpiresIn] {issue}")
            return refused(request, ctx, current, validation)
        return refused(request, ctx, current, error)
    await revoke_user_sessions(ctx, user.id, reason="banned", actor=actor)
    return answered(request, ctx, current, json_response({"user": user_json(user)}))


@router.post("/admin/unban-user")
async def unban_user(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), ADMIN_USER_ID)
    current = await admin_session(request, ctx)
    try:
        user = await ctx.admin.unban_user(
            admin_user_id=current.user.id,
            user_id=user_id_of(body),
            actor=admin_actor(request, ctx, current),
        )
    except DomainError as error:
        return refused(request, ctx, current, error)
    return answered(request, ctx, current, json_response({"user": user_json(user)}))


# --- a user's sessions -----------------------------------------------------------------------


@router.post("/admin/list-user-sessions")
async def list_user_sessions(request: Request) -> Response:
    """The user's live sessions, impersonations included. Tokens are never handed out: each
    session shows its id in the token's place (the admin's own shows its token), which
    revoke-user-session takes."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), ADMIN_USER_ID)
    current = await admin_session(request, ctx)
    user_id = user_id_of(body)
    try:
        await _require_session_permission(ctx, current, _LIST_SESSIONS)
        sessions = await ctx.session.list_user_sessions(user_id) if user_id else []
    except (DomainError, ApiError) as error:
        return refused(request, ctx, current, error)
    listed = [listed_session_json(each, current.token, current.session.id) for each in sessions]
    return answered(request, ctx, current, json_response({"sessions": listed}))


@router.post("/admin/revoke-user-session")
async def revoke_user_session(request: Request) -> Response:
    """Any user's session, by its token or by the id a listing shows; none by that name is
    no error, as in Better-Auth."""
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), REVOKE_USER_SESSION)
    current = await admin_session(request, ctx)
    reference = str(body["sessionToken"])
    try:
        await _require_session_permission(ctx, current, _REVOKE_SESSIONS)
        if 0 < len(reference) <= _MAX_SESSION_REFERENCE:
            revoked = await ctx.session.revoke_any_session(
                reference, actor=admin_actor(request, ctx, current)
            )
            if revoked is not None:
                ctx.cache.evict_user(revoked.user_id)
    except (DomainError, ApiError) as error:
        return refused(request, ctx, current, error)
    return answered(request, ctx, current, json_response({"success": True}))


@router.post("/admin/revoke-user-sessions")
async def revoke_user_sessions_route(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), ADMIN_USER_ID)
    current = await admin_session(request, ctx)
    user_id = user_id_of(body)
    try:
        await _require_session_permission(ctx, current, _REVOKE_SESSIONS)
        if user_id:
            ctx.cache.evict_user(user_id)
            await ctx.session.revoke_user_sessions(
                user_id, reason="revoked-by-admin", actor=admin_actor(request, ctx, current)
            )
            ctx.cache.evict_user(user_id)  # a lookup racing the revocation may have cached one
    except (DomainError, ApiError) as error:
        return refused(request, ctx, current, error)
    return answered(request, ctx, current, json_response({"success": True}))


# --- impersonation ---------------------------------------------------------------------------


@router.post("/admin/impersonate-user")
async def impersonate_user(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), ADMIN_USER_ID)
    current = await admin_session(request, ctx)
    actor = admin_actor(request, ctx, current)
    try:
        user = await ctx.admin.authorize_impersonation(
            admin_user_id=current.user.id, user_id=user_id_of(body), actor=actor
        )
        # Not issue_session: the admin's own sign-in passed every check, and the user's second
        # factor and risk are not the admin's to pass.
        session = await ctx.session.create(
            user_id=user.id,
            ip_address=actor.ip,
            user_agent=actor.user_agent,
            dont_remember=True,
            method="impersonation",
            actor=actor,
            impersonated_by=current.user.id,
        )
    except DomainError as error:
        return refused(request, ctx, current, error)
    response = json_response({"session": session_json(session), "user": user_json(user)})
    # Better-Auth's order: the admin's cookies go, the admin's token is kept aside, the user's
    # session cookies come.
    clear_session_cookies(response, ctx, request)
    set_admin_session_cookie(response, request, ctx, admin_token=current.token)
    set_session_cookies(response, ctx, request=request, session=session, user=user)
    return response


def _server_error(message: str) -> ApiError:
    """Better-Auth's 500 with a message: the impersonation cannot be undone as recorded."""
    return ApiError(500, None, message)


async def _admin_back(
    request: Request, ctx: GatewayContext, admin_user_id: str
) -> session_pb2.GetSessionResponse:
    """The admin's session the `admin_session` cookie kept; Better-Auth's 500s without it."""
    token = admin_session_token(request, ctx)
    if token is None:
        raise _server_error("Failed to find admin session")
    try:
        found = await ctx.session.get(token, disable_refresh=True)
    except DomainError as error:
        if error.reason in ("SESSION_NOT_FOUND", "INVALID_TOKEN"):
            raise _server_error("Failed to find admin session") from None
        raise api_error(error) from None
    if found.session.user_id != admin_user_id:
        raise _server_error("Failed to find admin session")
    return found


@router.post("/admin/stop-impersonating")
async def stop_impersonating(request: Request) -> Response:
    """Ends the impersonation session and signs the admin back in with the session kept in
    `admin_session`. Takes no fields; a malformed body is still refused."""
    ctx = context_of(request)
    await read_body(request, ctx)
    current = await current_session(request, ctx)
    if current is None:
        raise ApiError(401)
    admin_user_id = current.session.impersonated_by
    if not admin_user_id:
        return error_response(ApiError(400, None, NOT_IMPERSONATING))
    try:
        admin = await ctx.identity.get_user(admin_user_id)
    except DomainError as error:
        if error.reason != "USER_NOT_FOUND":
            raise api_error(error) from None
        raise _server_error("Failed to find user") from None
    back = await _admin_back(request, ctx, admin_user_id)
    actor = admin_actor(request, ctx, current)
    actor.user_id = admin_user_id
    ctx.cache.evict(hashlib.sha256(current.token.encode()).digest())
    try:
        await ctx.session.revoke(current.token, actor, reason="impersonation-stopped")
    except DomainError as error:
        raise api_error(error) from None
    response = json_response({"session": session_json(back.session), "user": user_json(admin)})
    set_session_cookies(response, ctx, request=request, session=back.session, user=admin)
    expire_admin_session_cookie(response, ctx)
    return response
