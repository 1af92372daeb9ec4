"""The phoneNumber plugin (api.md §9.7): texted codes that verify a number and sign its user up
or in, sign-in by phone number and password, and password reset by a texted code.

Identity owns numbers, codes and passwords; the gateway answers in Better-Auth's shapes, issues
sessions through `issue_session`, and after a reset revokes the user's sessions as the email
reset does. Sign-up on verification is identity's setting (on in the seed deployment).
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body
from authmesh_gateway.serialize import user_json
from authmesh_gateway.sessions.account_changes import revoke_user_sessions
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.current import current_session
from authmesh_gateway.sessions.issue import issue_session
from authmesh_gateway.sessions.second_factor import SecondFactorRequired, two_factor_redirect
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.schemas import (
    REQUEST_PHONE_PASSWORD_RESET,
    RESET_PHONE_PASSWORD,
    SEND_PHONE_NUMBER_OTP,
    SIGN_IN_PHONE_NUMBER,
    VERIFY_PHONE_NUMBER,
)
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

SESSION_METHOD = "phone-number"


@router.post("/phone-number/send-otp")
async def send_otp(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), SEND_PHONE_NUMBER_OTP)
    try:
        await ctx.identity.send_phone_number_code(
            phone_number=body["phoneNumber"], actor=actor_of(request, ctx)
        )
    except DomainError as error:
        raise api_error(error) from None
    return json_response({"message": "code sent"})


@router.post("/phone-number/verify")
async def verify(request: Request) -> Response:
    """The number's user signed in (a new user when none had it), or with `updatePhoneNumber`
    the number given to the session's user, whose session stays as it is."""
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), VERIFY_PHONE_NUMBER)
    update = body.get("updatePhoneNumber") is True
    current = await current_session(request, ctx) if update else None
    actor = actor_of(request, ctx)
    if current is not None:
        actor.user_id = current.user.id
    try:
        user = await ctx.identity.verify_phone_number(
            phone_number=body["phoneNumber"],
            code=body["code"],
            update_phone_number=update,
            session_user_id=current.user.id if current else "",
            actor=actor,
        )
        ctx.cache.evict_user(user.id)  # cached sessions still show the number unverified
        if current is not None:
            return json_response({"status": True, "token": current.token, "user": user_json(user)})
        if body.get("disableSession") is True:
            return json_response({"status": True, "token": None, "user": user_json(user)})
        issued = await issue_session(
            ctx,
            request=request,
            user_id=user.id,
            method=SESSION_METHOD,
            dont_remember=False,
            actor=actor,
        )
    except DomainError as error:
        if error.reason == "USER_NOT_FOUND":  # no session to give the number to: 401 here
            raise ApiError.from_code(401, "USER_NOT_FOUND") from None
        raise api_error(error) from None
    if isinstance(issued, SecondFactorRequired):
        return two_factor_redirect(ctx, issued)
    token = issued.session.token
    response = json_response({"status": True, "token": token, "user": user_json(issued.user)})
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    return response


@router.post("/sign-in/phone-number")
async def sign_in_phone_number(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), SIGN_IN_PHONE_NUMBER)
    actor = actor_of(request, ctx)
    dont_remember = body.get("rememberMe") is False
    try:
        verified = await ctx.identity.verify_password(
            phone_number=body["phoneNumber"],
            password=body["password"],
            callback_url=None,
            actor=actor,
        )
        issued = await issue_session(
            ctx,
            request=request,
            user_id=verified.user.id,
            method=SESSION_METHOD,
            dont_remember=dont_remember,
            actor=actor,
            password_blocklisted=verified.password_blocklisted,
            checked_user=verified.user,
        )
    except DomainError as error:
        raise api_error(error) from None
    if isinstance(issued, SecondFactorRequired):
        return two_factor_redirect(ctx, issued)
    token = issued.session.token
    response = json_response({"token": token, "user": user_json(issued.user)})
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    return response


@router.post("/phone-number/request-password-reset")
async def request_password_reset(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(
        await read_body(request, ctx), REQUEST_PHONE_PASSWORD_RESET
    )
    try:
        await ctx.identity.request_phone_password_reset(
            phone_number=body["phoneNumber"], actor=actor_of(request, ctx)
        )
    except DomainError as error:
        raise api_error(error) from None
    return json_response({"status": True})


@router.post("/phone-number/reset-password")
async def reset_password(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), RESET_PHONE_PASSWORD)
    actor = actor_of(request, ctx)
    try:
        user_id = await ctx.identity.reset_password_by_phone(
            phone_number=body["phoneNumber"],
            code=body["otp"],
            new_password=body["newPassword"],
            actor=actor,
        )
    except DomainError as error:
        raise api_error(error) from None
    await revoke_user_sessions(ctx, user_id, reason="password-reset", actor=actor)
    return json_response({"status": True})
