"""Password flows (api.md §9.1): reset by emailed link, change, and check.

Identity owns every secret and password; after a reset, and after a change that revokes other
sessions, the gateway revokes the user's sessions at the session service
(sessions/account_changes.py). Change and check read the session authoritatively.
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body
from authmesh_gateway.redirects import redirect, with_search_params
from authmesh_gateway.security.csrf import check_callback_url
from authmesh_gateway.security.timing import answer_no_sooner_than
from authmesh_gateway.serialize import user_json
from authmesh_gateway.sessions.account_changes import revoke_user_sessions
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.current import require_session
from authmesh_gateway.wire.query import query_object
from authmesh_gateway.wire.schemas import (
    CHANGE_PASSWORD,
    REQUEST_PASSWORD_RESET,
    RESET_PASSWORD,
    RESET_PASSWORD_CALLBACK_QUERY,
    RESET_PASSWORD_QUERY,
    VERIFY_PASSWORD,
)
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

RESET_REQUESTED_MESSAGE = "If this email exists in our system, check your email for the reset link"
BASE_PATH = "/api/auth"


@router.post("/request-password-reset")
async def request_password_reset(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), REQUEST_PASSWORD_RESET)
    # The same answer for every address, in no less time (Authmesh only: the peer has no floor).
    async with answer_no_sooner_than():
        try:
            await ctx.identity.request_password_reset(
                email=body["email"],
                redirect_to=body.get("redirectTo"),
                actor=actor_of(request, ctx),
            )
        except DomainError as error:
            raise api_error(error) from None
    return json_response({"status": True, "message": RESET_REQUESTED_MESSAGE})


@router.get("/reset-password/{token}")
async def reset_password_callback(request: Request, token: str) -> Response:
    """The link in the mail: on to the app's page with `?token=`, or `?error=INVALID_TOKEN`."""
    ctx = context_of(request)
    query = validate_body(
        query_object(request.query_params.multi_items()),
        RESET_PASSWORD_CALLBACK_QUERY,
        source="query",
    )
    callback_url = str(query["callbackURL"])
    check_callback_url(callback_url, "callbackURL", trusted=ctx.trusted_origins)
    auth_base = ctx.settings.base_url.rstrip("/") + BASE_PATH
    try:
        await ctx.identity.check_password_reset_token(token)
    except DomainError as error:
        if error.reason != "INVALID_TOKEN":
            raise api_error(error) from None
        # Without a callback Better-Auth sends the browser to its own error page.
        target = callback_url or f"{auth_base}/error"
        return redirect(with_search_params(target, auth_base, {"error": "INVALID_TOKEN"}))
    return redirect(with_search_params(callback_url, auth_base, {"token": token}))


@router.post("/reset-password")
async def reset_password(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), RESET_PASSWORD)
    query = validate_body(
        query_object(request.query_params.multi_items()), RESET_PASSWORD_QUERY, source="query"
    )
    token = body.get("token") or query.get("token") or ""
    actor = actor_of(request, ctx)
    try:
        user_id = await ctx.identity.reset_password(
            token=str(token), new_password=body["newPassword"], actor=actor
        )
    except DomainError as error:
        raise api_error(error) from None
    await revoke_user_sessions(ctx, user_id, reason="password-reset", actor=actor)
    return json_response({"status": True})


@router.post("/change-password")
async def change_password(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), CHANGE_PASSWORD)
    current = await require_session(request, ctx)
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    revoke = body.get("revokeOtherSessions") is True
    try:
        user = await ctx.identity.change_password(
            user_id=current.user.id,
            current_password=body["currentPassword"],
            new_password=body["newPassword"],
            revoke_other_sessions=revoke,
            actor=actor,
        )
        if not revoke:
            return json_response({"token": None, "user": user_json(user)})
        # Better-Auth deletes every session, this one too, and hands out a new one.
        await revoke_user_sessions(ctx, user.id, reason="password-change", actor=actor)
        dont_remember = current.session.dont_remember
        session = await ctx.session.create(
            user_id=user.id,
            ip_address=actor.ip,
            user_agent=actor.user_agent,
            dont_remember=dont_remember,
            method="password-change",
            actor=actor,
        )
    except DomainError as error:
        raise api_error(error) from None
    response = json_response({"token": session.token, "user": user_json(user)})
    set_session_cookies(response, ctx, request=request, session=session, user=user)
    return response


@router.post("/verify-password")
async def verify_password(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), VERIFY_PASSWORD)
    current = await require_session(request, ctx)
    try:
        await ctx.identity.check_password(user_id=current.user.id, password=body["password"])
    except DomainError as error:
        raise api_error(error) from None
    return json_response({"status": True})
