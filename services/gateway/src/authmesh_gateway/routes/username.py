"""The username plugin (api.md §9.6): POST /sign-in/username and /is-username-available.

Sign-in takes the same identity path as email sign-in (identity.VerifyPassword, the account
named by its username) and answers in the same shape. A malformed username is 422 here, where
sign-up and update-user answer 400.
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body
from authmesh_gateway.routes.email_password import password_sign_in_response
from authmesh_gateway.sessions.issue import issue_session
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.schemas import IS_USERNAME_AVAILABLE, SIGN_IN_USERNAME
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

_MALFORMED_USERNAME = frozenset({"USERNAME_TOO_SHORT", "USERNAME_TOO_LONG", "INVALID_USERNAME"})


def _unprocessable(error: DomainError) -> ApiError:
    if error.reason in _MALFORMED_USERNAME:
        return ApiError.from_code(422, error.reason)
    return api_error(error)


@router.post("/sign-in/username")
async def sign_in_username(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), SIGN_IN_USERNAME)
    actor = actor_of(request, ctx)
    dont_remember = body.get("rememberMe") is False
    try:
        verified = await ctx.identity.verify_password(
            username=body["username"],
            password=body["password"],
            callback_url=body.get("callbackURL"),  # for a verification link, if one is due
            actor=actor,
        )
        issued = await issue_session(
            ctx,
            request=request,
            user_id=verified.user.id,
            method="username",
            dont_remember=dont_remember,
            actor=actor,
            password_blocklisted=verified.password_blocklisted,
            checked_user=verified.user,
        )
    except DomainError as error:
        raise _unprocessable(error) from None
    return password_sign_in_response(request, ctx, issued, body.get("callbackURL"))


@router.post("/is-username-available")
async def is_username_available(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), IS_USERNAME_AVAILABLE)
    try:
        available = await ctx.identity.is_username_available(body["username"])
    except DomainError as error:
        raise _unprocessable(error) from None
    return json_response({"available": available})
