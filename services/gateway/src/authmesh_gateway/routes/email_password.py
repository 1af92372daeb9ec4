"""POST /sign-up/email and /sign-in/email (api.md §9.1)."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, check_first_login_csrf, json_response, read_body
from authmesh_gateway.serialize import user_json
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.issue import IssuedSession, issue_session
from authmesh_gateway.sessions.second_factor import SecondFactorRequired, two_factor_redirect
from authmesh_gateway.wire.body import FORM_OR_JSON
from authmesh_gateway.wire.errors import (
    FAILED_TO_CREATE_USER,
    INVALID_EMAIL,
    ApiError,
)
from authmesh_gateway.wire.js import truthy
from authmesh_gateway.wire.schemas import (
    NOT_INPUT_USER_FIELDS,
    SIGN_IN_EMAIL,
    SIGN_UP_EMAIL,
)
from authmesh_gateway.wire.validation import is_email, validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

# Every visible ASCII character: `quote` leaves these (and existing %XX escapes) alone.
_VISIBLE_ASCII = "".join(chr(code) for code in range(0x21, 0x7F))


def _check_sign_up(body: dict[str, Any]) -> None:
    """Fields a sign-up may not set; password length is identity's policy (configurable)."""
    for key in NOT_INPUT_USER_FIELDS:
        if truthy(body.get(key)):
            # Not the catalogue's message: Better-Auth names the field.
            raise ApiError(400, "FIELD_NOT_ALLOWED", f"{key} is not allowed to be set")
    if truthy(body.get("phoneNumber")):
        raise ApiError.from_code(400, "PHONE_NUMBER_CANNOT_BE_SET")


def _username(body: dict[str, Any]) -> str | None:
    """`username` (api.md §9.6), None when absent or null; Better-Auth fails to create a user
    with a username of another type."""
    username = body.get("username")
    if username is not None and not isinstance(username, str):
        raise FAILED_TO_CREATE_USER.error()
    return username


def _check_sign_in(body: dict[str, Any]) -> None:
    """The email format, with zod's rule as Better-Auth checks it (identity, which treats a
    malformed email as one more unknown user, would answer 401)."""
    if not is_email(body["email"]):
        raise INVALID_EMAIL.error()


def _location(callback_url: str) -> str:
    """The Location header for a callbackURL: anything outside visible ASCII percent-encoded
    as UTF-8, as a browser would before following it. Raw, a control character or a character
    beyond Latin-1 cannot be written in a header at all (a 500 after the session was made)."""
    return quote(callback_url, safe=_VISIBLE_ASCII)


@router.post("/sign-up/email")
async def sign_up_email(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx, FORM_OR_JSON), SIGN_UP_EMAIL)
    check_first_login_csrf(request, ctx)
    _check_sign_up(body)
    username = _username(body)
    actor = actor_of(request, ctx)
    try:
        signed_up = await ctx.identity.sign_up_with_email(
            name=body["name"],
            email=body["email"],
            password=body["password"],
            image=body.get("image"),
            username=username,
            display_username=body.get("displayUsername"),
            callback_url=body.get("callbackURL"),  # for the verification link
            actor=actor,
        )
        if not signed_up.sign_in_allowed:
            # Verification required: no session, and a taken address looks like a new one.
            return json_response({"token": None, "user": user_json(signed_up.user)})
        dont_remember = body.get("rememberMe") is False
        issued = await issue_session(
            ctx,
            request=request,
            user_id=signed_up.user.id,
            method="sign-up",
            dont_remember=dont_remember,
            actor=actor,
        )
    except DomainError as error:
        raise api_error(error) from None
    if isinstance(issued, SecondFactorRequired):
        return two_factor_redirect(ctx, issued)
    response = json_response({"token": issued.session.token, "user": user_json(issued.user)})
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    return response


@router.post("/sign-in/email")
async def sign_in_email(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx, FORM_OR_JSON), SIGN_IN_EMAIL)
    check_first_login_csrf(request, ctx)
    _check_sign_in(body)
    actor = actor_of(request, ctx)
    try:
        verified = await ctx.identity.verify_password(
            email=body["email"],
            password=body["password"],
            callback_url=body.get("callbackURL"),  # for a verification link, if one is due
            actor=actor,
        )
        dont_remember = body.get("rememberMe") is False
        issued = await issue_session(
            ctx,
            request=request,
            user_id=verified.user.id,
            method="email",
            dont_remember=dont_remember,
            actor=actor,
            password_blocklisted=verified.password_blocklisted,
            checked_user=verified.user,
        )
    except DomainError as error:
        raise api_error(error) from None
    return password_sign_in_response(request, ctx, issued, body.get("callbackURL"))


def password_sign_in_response(
    request: Request,
    ctx: GatewayContext,
    issued: IssuedSession | SecondFactorRequired,
    callback_url: str | None,
) -> Response:
    """Better-Auth's answer to a sign-in by email or username and password: `redirect`, the
    token, `url` only with a callbackURL (which also goes in a Location header), the user; and
    the session cookies. Or `twoFactorRedirect` (still with the Location header) for a user
    who owes a second factor."""
    location = {"Location": _location(callback_url)} if callback_url else {}
    if isinstance(issued, SecondFactorRequired):
        response = two_factor_redirect(ctx, issued)
        response.headers.update(location)
        return response
    answer: dict[str, Any] = {"redirect": bool(callback_url), "token": issued.session.token}
    if callback_url:
        answer["url"] = callback_url
    answer["user"] = user_json(issued.user)
    response = json_response(answer, headers=location)
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    return response
