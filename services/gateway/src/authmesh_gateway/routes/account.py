"""Changing a user's email and deleting the user (api.md §9.1): POST /change-email and POST
/delete-user (both S!), and GET /delete-user/callback.

- change-email mails a link to the new address; /verify-email confirms it (routes/verification.py).
- delete-user deletes at once with the right password, a delete-account token, or a session
  younger than the fresh age. Otherwise it mails a delete-account link and answers "Verification
  email sent" (test-outbox.md: Better-Auth's `sendDeleteAccountVerification`, used only when no
  other proof is at hand, where the peer without it answers 400 SESSION_EXPIRED). The link's
  callback needs the user's session too, as Better-Auth's does.
After a deletion every session of the user is revoked at the session service (user.deleted
guarantees it) and the caller's cookies are expired.
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.events.v1 import envelope_pb2
from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body
from authmesh_gateway.redirects import redirect
from authmesh_gateway.security.csrf import check_callback_url
from authmesh_gateway.sessions.account_changes import revoke_user_sessions
from authmesh_gateway.sessions.cookies import clear_session_cookies
from authmesh_gateway.sessions.current import current_session, is_fresh, require_session
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import truthy
from authmesh_gateway.wire.query import query_object
from authmesh_gateway.wire.schemas import CHANGE_EMAIL, DELETE_USER, DELETE_USER_CALLBACK_QUERY
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

USER_DELETED = {"success": True, "message": "User deleted"}
VERIFICATION_SENT = {"success": True, "message": "Verification email sent"}


@router.post("/change-email")
async def change_email(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), CHANGE_EMAIL)
    current = await require_session(request, ctx)
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    try:
        await ctx.identity.change_email(
            user_id=current.user.id,
            new_email=body["newEmail"],
            callback_url=body.get("callbackURL"),
            actor=actor,
        )
    except DomainError as error:
        if error.reason == "EMAIL_UNCHANGED":
            raise ApiError(400, None, "Email is the same") from None  # message only, as Better-Auth
        raise api_error(error) from None
    return json_response({"status": True})


async def _delete(
    ctx: GatewayContext,
    *,
    user_id: str,
    password: str | None,
    token: str | None,
    session_fresh: bool,
    callback_url: str | None,
    actor: envelope_pb2.Actor,
) -> bool:
    """identity.DeleteUser, then the user's sessions; False when a link was mailed instead."""
    try:
        deleted = await ctx.identity.delete_user(
            user_id=user_id,
            password=password,
            token=token,
            session_fresh=session_fresh,
            callback_url=callback_url,
            actor=actor,
        )
    except DomainError as error:
        if error.reason == "INVALID_TOKEN":
            raise ApiError.from_code(404, "INVALID_TOKEN") from None  # Better-Auth's status here
        raise api_error(error) from None
    if deleted:
        await revoke_user_sessions(ctx, user_id, reason="user-deleted", actor=actor)
    return deleted


@router.post("/delete-user")
async def delete_user(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), DELETE_USER)
    current = await require_session(request, ctx)
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    # Better-Auth tests both for truthiness: an empty password or token is none at all.
    password, token = body.get("password"), body.get("token")
    deleted = await _delete(
        ctx,
        user_id=current.user.id,
        password=password if truthy(password) else None,
        token=token if truthy(token) else None,
        session_fresh=is_fresh(current.session, ctx.settings.session_fresh_age_s),
        callback_url=body.get("callbackURL"),
        actor=actor,
    )
    if not deleted:
        return json_response(VERIFICATION_SENT)
    response = json_response(USER_DELETED)
    clear_session_cookies(response, ctx, request)
    return response


@router.get("/delete-user/callback")
async def delete_user_callback(request: Request) -> Response:
    """The link in the delete-account mail, opened where the user is signed in."""
    ctx = context_of(request)
    query = validate_body(
        query_object(request.query_params.multi_items()),
        DELETE_USER_CALLBACK_QUERY,
        source="query",
    )
    callback_url = query.get("callbackURL")
    check_callback_url(callback_url, "callbackURL", trusted=ctx.trusted_origins)
    current = await current_session(request, ctx)
    if current is None:
        raise ApiError.from_code(404, "FAILED_TO_GET_USER_INFO")
    token = str(query["token"])
    if not token:  # nothing to consume: the same answer as a token that is not there
        raise ApiError.from_code(404, "INVALID_TOKEN")
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    await _delete(
        ctx,
        user_id=current.user.id,
        password=None,
        token=token,
        session_fresh=False,
        callback_url=None,
        actor=actor,
    )
    response = redirect(str(callback_url)) if callback_url else json_response(USER_DELETED)
    clear_session_cookies(response, ctx, request)
    return response
