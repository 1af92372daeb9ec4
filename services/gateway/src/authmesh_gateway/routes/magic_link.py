"""The magicLink plugin (api.md §9.5; better-auth 1.7.25 `plugins/magic-link/index.ts`): a
single-use sign-in link mailed to an address, and the endpoint the link opens.

Identity owns the tokens and builds the link from the configured base URL (its
PasswordlessService); the callback URLs it carries are checked against the trusted origins
here, when the link is asked for (the router's field checks, then formCsrf) and again when it
is opened. Opening it signs the user in through `sessions/email_proof.py`; without a callbackURL
the answer is JSON, with one a redirect, and a token that fails is always a redirect to the
errorCallbackURL (or the callbackURL) with `?error=`.
"""

from typing import Any
from urllib.parse import urljoin

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, check_first_login_csrf, json_response, read_body
from authmesh_gateway.redirects import redirect, with_search_params
from authmesh_gateway.security.csrf import check_callback_url
from authmesh_gateway.serialize import session_json, user_json
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.email_proof import sign_in_by_email_proof
from authmesh_gateway.sessions.second_factor import (
    SecondFactorRequired,
    set_challenge_cookies,
    two_factor_redirect,
)
from authmesh_gateway.wire.query import query_object
from authmesh_gateway.wire.schemas import MAGIC_LINK_VERIFY_QUERY, SIGN_IN_MAGIC_LINK
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

BASE_PATH = "/api/auth"
SESSION_METHOD = "magic-link"
_CALLBACK_FIELDS = ("callbackURL", "newUserCallbackURL", "errorCallbackURL")
# Identity's reasons for a link that cannot sign in → the `?error=` Better-Auth redirects with.
_LINK_ERRORS = {
    "INVALID_TOKEN": "INVALID_TOKEN",
    "NEW_USER_SIGNUP_DISABLED": "new_user_signup_disabled",
    "USER_NOT_FOUND": "user_not_found",
}


@router.post("/sign-in/magic-link")
async def sign_in_magic_link(request: Request) -> Response:
    """`metadata` is accepted and not used: Better-Auth hands it to the app's mailer only."""
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), SIGN_IN_MAGIC_LINK)
    check_first_login_csrf(request, ctx)
    try:
        await ctx.passwordless.send_magic_link(
            email=body["email"],
            name=body.get("name"),
            callback_url=body.get("callbackURL"),
            new_user_callback_url=body.get("newUserCallbackURL"),
            error_callback_url=body.get("errorCallbackURL"),
            actor=actor_of(request, ctx),
        )
    except DomainError as error:
        raise api_error(error) from None
    return json_response({"status": True})


@router.get("/magic-link/verify")
async def verify(request: Request) -> Response:
    ctx = context_of(request)
    query = validate_body(
        query_object(request.query_params.multi_items()), MAGIC_LINK_VERIFY_QUERY, source="query"
    )
    # Better-Auth's `originCheck` names each of them callbackURL in its 403.
    for field in _CALLBACK_FIELDS:
        check_callback_url(query.get(field), "callbackURL", trusted=ctx.trusted_origins)
    auth_base = ctx.settings.base_url.rstrip("/") + BASE_PATH
    callback_url = query.get("callbackURL")
    # `new URL(url, baseURL)`: every target is absolute.
    callback = urljoin(auth_base, str(callback_url or "/"))
    new_user_callback = urljoin(auth_base, str(query.get("newUserCallbackURL") or callback))
    error_callback = str(query.get("errorCallbackURL") or callback)
    actor = actor_of(request, ctx)
    try:
        proof = await ctx.passwordless.verify_magic_link(token=str(query["token"]), actor=actor)
    except DomainError as error:
        code = _LINK_ERRORS.get(error.reason)
        if code is None:
            raise api_error(error) from None
        return redirect(with_search_params(error_callback, auth_base, {"error": code}))
    try:
        issued = await sign_in_by_email_proof(
            ctx, proof, request=request, method=SESSION_METHOD, actor=actor
        )
    except DomainError as error:
        raise api_error(error) from None  # e.g. BANNED_USER: a 403, as Better-Auth answers
    if isinstance(issued, SecondFactorRequired):
        if not callback_url:
            return two_factor_redirect(ctx, issued)
        # A page that can finish the sign-in with the `two_factor` cookie (sessions/email_proof.py).
        page = urljoin(auth_base, ctx.settings.two_factor_page or callback)
        response = redirect(with_search_params(page, auth_base, {"twoFactorRedirect": "true"}))
        set_challenge_cookies(response, ctx, issued)
        return response
    if callback_url:
        response = redirect(new_user_callback if proof.created else callback)
    else:
        response = json_response(
            {
                "token": issued.session.token,
                "user": user_json(issued.user),
                "session": session_json(issued.session),
            }
        )
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    return response
