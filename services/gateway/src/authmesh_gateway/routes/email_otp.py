"""The emailOTP plugin (api.md §9.4; better-auth 1.7.25 `plugins/email-otp/routes.ts`): codes
mailed to sign in, to verify the address and to reset the password.

Identity owns the codes (its PasswordlessService); the gateway answers in Better-Auth's shapes,
signs users in through `sessions/email_proof.py`, and after a reset revokes the user's sessions
as the other resets do. The plugin's change-email endpoints answer as Better-Auth does with its
`changeEmail` option off, the test deployment's configuration: 400 once a session is found.
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.identity.v1 import passwordless_pb2
from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, check_first_login_csrf, json_response, read_body
from authmesh_gateway.security.timing import answer_no_sooner_than
from authmesh_gateway.serialize import user_json
from authmesh_gateway.sessions.account_changes import revoke_user_sessions
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.current import require_session
from authmesh_gateway.sessions.email_proof import sign_in_by_email_proof
from authmesh_gateway.sessions.second_factor import SecondFactorRequired, two_factor_redirect
from authmesh_gateway.wire.errors import INVALID_EMAIL, ApiError
from authmesh_gateway.wire.schemas import (
    CHANGE_EMAIL_EMAIL_OTP,
    CHECK_VERIFICATION_OTP,
    REQUEST_EMAIL_CHANGE_EMAIL_OTP,
    REQUEST_PASSWORD_RESET_EMAIL_OTP,
    RESET_PASSWORD_EMAIL_OTP,
    SEND_VERIFICATION_OTP,
    SIGN_IN_EMAIL_OTP,
    VERIFY_EMAIL_OTP,
)
from authmesh_gateway.wire.validation import BodySchema, is_email, validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

SESSION_METHOD = "email-otp"
FORGET_PASSWORD = "forget-password"  # noqa: S105 - an OTP type, not a password
# Messages Better-Auth answers without a code.
INVALID_OTP_TYPE_MESSAGE = "Invalid OTP type"
CHANGE_EMAIL_DISABLED_MESSAGE = "Change email with OTP is disabled"


def _address(body: dict[str, Any], key: str = "email") -> str:
    """The address lower-cased, as Better-Auth's handlers take it; INVALID_EMAIL when zod's
    email check refuses it."""
    email = str(body[key]).lower()
    if not is_email(email):
        raise INVALID_EMAIL.error()
    return email


def _otp_error(error: DomainError) -> ApiError:
    """The plugin's answers: its user lookups fail with 400, not 404."""
    if error.reason == "USER_NOT_FOUND":
        return ApiError.from_code(400, "USER_NOT_FOUND")
    if error.reason == "INVALID_OTP_TYPE":
        return ApiError(400, None, INVALID_OTP_TYPE_MESSAGE)
    return api_error(error)


async def _body(request: Request, schema: BodySchema) -> dict[str, Any]:
    return validate_body(await read_body(request, context_of(request)), schema)


@router.post("/email-otp/send-verification-otp")
async def send_verification_otp(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request, SEND_VERIFICATION_OTP)
    check_first_login_csrf(request, ctx)
    email = _address(body)
    if body["type"] == "change-email":  # only through /email-otp/request-email-change
        raise ApiError(400, None, INVALID_OTP_TYPE_MESSAGE)
    await _send(request, email, str(body["type"]))
    return json_response({"success": True})


async def _send(request: Request, email: str, otp_type: str) -> None:
    """The same answer, in no less time, whether or not a code was mailed."""
    ctx = context_of(request)
    async with answer_no_sooner_than():
        try:
            await ctx.passwordless.send_email_otp(
                email=email, otp_type=otp_type, actor=actor_of(request, ctx)
            )
        except DomainError as error:
            raise _otp_error(error) from None


@router.post("/sign-in/email-otp")
async def sign_in_email_otp(request: Request) -> Response:
    """Extra user fields in the body are ignored: a new user gets only its name and image."""
    ctx = context_of(request)
    body = await _body(request, SIGN_IN_EMAIL_OTP)
    actor = actor_of(request, ctx)
    try:
        proof = await ctx.passwordless.sign_in_with_email_otp(
            email=body["email"],
            otp=body["otp"],
            name=body.get("name"),
            image=body.get("image"),
            actor=actor,
        )
        issued = await sign_in_by_email_proof(
            ctx, proof, request=request, method=SESSION_METHOD, actor=actor
        )
    except DomainError as error:
        raise _otp_error(error) from None
    if isinstance(issued, SecondFactorRequired):
        return two_factor_redirect(ctx, issued)
    response = json_response({"token": issued.session.token, "user": user_json(issued.user)})
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    return response


@router.post("/email-otp/verify-email")
async def verify_email(request: Request) -> Response:
    """Verifies the address, then signs its user in (autoSignInAfterVerification)."""
    ctx = context_of(request)
    body = await _body(request, VERIFY_EMAIL_OTP)
    email = _address(body)
    actor = actor_of(request, ctx)
    try:
        user = await ctx.passwordless.verify_email_with_otp(
            email=email, otp=body["otp"], actor=actor
        )
        proof = passwordless_pb2.EmailProof(user=user)
        issued = await sign_in_by_email_proof(
            ctx, proof, request=request, method=SESSION_METHOD, actor=actor
        )
    except DomainError as error:
        raise _otp_error(error) from None
    if isinstance(issued, SecondFactorRequired):
        return two_factor_redirect(ctx, issued)
    response = json_response(
        {"status": True, "token": issued.session.token, "user": user_json(issued.user)}
    )
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    return response


@router.post("/email-otp/check-verification-otp")
async def check_verification_otp(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request, CHECK_VERIFICATION_OTP)
    email = _address(body)
    try:
        await ctx.passwordless.check_email_otp(
            email=email, otp_type=body["type"], otp=body["otp"], actor=actor_of(request, ctx)
        )
    except DomainError as error:
        raise _otp_error(error) from None
    return json_response({"success": True})


@router.post("/email-otp/request-password-reset")
async def request_password_reset(request: Request) -> Response:
    body = await _body(request, REQUEST_PASSWORD_RESET_EMAIL_OTP)
    await _send(request, _address(body), FORGET_PASSWORD)
    return json_response({"success": True})


@router.post("/forget-password/email-otp")
async def forget_password(request: Request) -> Response:
    """The deprecated name of /email-otp/request-password-reset."""
    return await request_password_reset(request)


@router.post("/email-otp/reset-password")
async def reset_password(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request, RESET_PASSWORD_EMAIL_OTP)
    email = _address(body)
    actor = actor_of(request, ctx)
    try:
        user_id = await ctx.passwordless.reset_password_with_email_otp(
            email=email, otp=body["otp"], new_password=body["password"], actor=actor
        )
    except DomainError as error:
        raise _otp_error(error) from None
    await revoke_user_sessions(ctx, user_id, reason="password-reset", actor=actor)
    return json_response({"success": True})


@router.post("/email-otp/request-email-change")
async def request_email_change(request: Request) -> Response:
    await _body(request, REQUEST_EMAIL_CHANGE_EMAIL_OTP)
    await require_session(request, context_of(request))
    raise ApiError(400, None, CHANGE_EMAIL_DISABLED_MESSAGE)


@router.post("/email-otp/change-email")
async def change_email(request: Request) -> Response:
    await _body(request, CHANGE_EMAIL_EMAIL_OTP)
    await require_session(request, context_of(request))
    raise ApiError(400, None, CHANGE_EMAIL_DISABLED_MESSAGE)
