"""POST /send-verification-email and GET /verify-email (api.md §9.1).

Identity owns the tokens; the gateway answers in Better-Auth's shapes and signs the user in
after a verification (autoSignInAfterVerification, the seed default).
"""

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body
from authmesh_gateway.redirects import append_query_params, redirect
from authmesh_gateway.security.csrf import check_callback_url
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.current import current_session
from authmesh_gateway.sessions.issue import issue_session
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.query import query_object
from authmesh_gateway.wire.schemas import SEND_VERIFICATION_EMAIL, VERIFY_EMAIL_QUERY
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

# Without a session the answer takes at least this long, whether or not a message was sent,
# so that its timing does not tell which addresses exist (Better-Auth's MINIMUM_MS).
ANONYMOUS_FLOOR_S = 0.5
# Token failures of /verify-email, answered as 401 or as a redirect with `?error=`.
_TOKEN_ERRORS = frozenset({"INVALID_TOKEN", "TOKEN_EXPIRED", "USER_NOT_FOUND"})


@router.post("/send-verification-email")
async def send_verification_email(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), SEND_VERIFICATION_EMAIL)
    started = time.monotonic()
    current = await current_session(request, ctx)
    try:
        await ctx.identity.send_verification_email(
            email=body["email"],
            callback_url=body.get("callbackURL"),
            user_id=current.user.id if current else "",
            actor=actor_of(request, ctx),
        )
    except DomainError as error:
        raise api_error(error) from None
    finally:
        if current is None:
            await asyncio.sleep(max(0.0, ANONYMOUS_FLOOR_S - (time.monotonic() - started)))
    return json_response({"status": True})


def _token_failure(code: str, callback_url: str | None) -> Response:
    """`redirectOnError`: back to the callback with `?error=<code>`, or 401 with the code."""
    if callback_url:
        target = append_query_params(callback_url, {"error": code})
        if target is not None:
            return redirect(target)
    raise ApiError.from_code(401, code)


async def _sign_in_after_verification(
    request: Request, ctx: GatewayContext, response: Response, user_id: str, email: str
) -> None:
    """A new session unless the caller is already signed in as this user; Better-Auth then
    re-sets the cookie of the current one instead."""
    current = await current_session(request, ctx)
    if current is not None and current.user.email == email:
        set_session_cookies(response, ctx, current.token, current.session.dont_remember)
        return
    issued = await issue_session(
        ctx,
        user_id=user_id,
        method="email-verification",
        dont_remember=False,
        actor=actor_of(request, ctx),
    )
    set_session_cookies(response, ctx, issued.session.token, dont_remember=False)


@router.get("/verify-email")
async def verify_email(request: Request) -> Response:
    ctx = context_of(request)
    query = validate_body(
        query_object(request.query_params.multi_items()), VERIFY_EMAIL_QUERY, source="query"
    )
    token = str(query["token"])
    callback_url = query.get("callbackURL")
    check_callback_url(callback_url, "callbackURL", trusted=ctx.trusted_origins)
    callback = str(callback_url) if callback_url else None
    try:
        verified = await ctx.identity.verify_email(token=token, actor=actor_of(request, ctx))
        ctx.cache.evict_user(verified.user.id)  # cached answers still say "not verified"
        response = redirect(callback) if callback else json_response({"status": True, "user": None})
        if verified.newly_verified:
            await _sign_in_after_verification(
                request, ctx, response, verified.user.id, verified.user.email
            )
    except DomainError as error:
        if error.reason in _TOKEN_ERRORS:
            return _token_failure(error.reason, callback)
        raise api_error(error) from None
    return response
