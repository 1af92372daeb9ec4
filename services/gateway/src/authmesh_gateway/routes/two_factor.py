"""The twoFactor plugin (api.md §9.2; better-auth 1.7.25 `plugins/two-factor`), and the QR code
of a TOTP enrollment, an Authmesh extra (`GET /api/two-factor/qr`).

mfa owns the factors; the gateway checks passwords with identity, answers in Better-Auth's
shapes, and after a change tells identity (`twoFactorEnabled`, which mfa's events also carry)
and rotates the caller's session as Better-Auth does. A verification in a signed-in session
checks or enrolls a factor; one with the `two_factor` cookie finishes a sign-in through
`issue_session` (sessions/issue.py started it).

Deliberate differences from the peer:
1. The verification that enables two-factor answers the new session's token and the updated
   user; the peer answers the token it just deleted and the user as it was.
2. get-totp-uri shows the issuer chosen at enrollment; the peer shows the configured one.
3. A mailed code is offered (`twoFactorMethods`) and accepted at sign-in only to users who
   turned that method on; the peer offers it to every two-factor user, so that the mailbox
   alone stands in for a TOTP device.
4. Mailed codes in a session turn two-factor on only from a fresh session (else 403
   SESSION_NOT_FRESH), and failures in a session count toward the lockout too.
5. A backup code checked with `disableSession` during a sign-in uses the challenge up and
   expires its cookie (the peer's challenge is as used up, its cookie left behind).
"""

import io
from typing import Any

import segno
import structlog
from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import identity_pb2
from authmesh.mfa.v1 import mfa_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.clients.two_factor import (
    BACKUP_CODE,
    OTP,
    TOTP,
    challenge_scope,
    session_scope,
)
from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body, request_cookies
from authmesh_gateway.serialize import user_json
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.current import (
    CurrentSession,
    current_session,
    is_fresh,
    require_session,
)
from authmesh_gateway.sessions.issue import issue_session
from authmesh_gateway.sessions.second_factor import (
    challenge_id,
    expire_challenge_cookie,
    expire_trust_device_cookie,
    trust_device_line,
)
from authmesh_gateway.wire.errors import SESSION_NOT_FRESH, ApiError
from authmesh_gateway.wire.query import query_object
from authmesh_gateway.wire.schemas import (
    ENABLE_TWO_FACTOR,
    SEND_TWO_FACTOR_OTP,
    TWO_FACTOR_PASSWORD,
    TWO_FACTOR_QR_QUERY,
    VERIFY_BACKUP_CODE,
    VERIFY_TWO_FACTOR_CODE,
)
from authmesh_gateway.wire.validation import BodySchema, validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()
extras = APIRouter()  # under /api, beside Better-Auth's /api/auth
log = structlog.get_logger(__name__)

SESSION_METHOD = "two-factor"  # the session a passed challenge creates
_QR_MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def _two_factor_error(error: DomainError) -> ApiError:
    if error.reason == "BACKUP_CODE_RACE":  # Better-Auth's 409 carries a message only
        return ApiError(409, None, error.message)
    return api_error(error)


def _no_challenge() -> ApiError:
    return ApiError.from_code(401, "INVALID_TWO_FACTOR_COOKIE")


async def _body(request: Request, schema: BodySchema) -> dict[str, Any]:
    return validate_body(await read_body(request, context_of(request)), schema)


async def _signed_in(
    request: Request, ctx: GatewayContext
) -> tuple[CurrentSession, envelope_pb2.Actor]:
    """The caller's session (read authoritatively) and an actor naming its user."""
    current = await require_session(request, ctx)
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    return current, actor


async def _apply_change(
    ctx: GatewayContext, user: identity_pb2.User, change: mfa_pb2.FactorChange
) -> identity_pb2.User:
    """Tells identity that mfa committed a change. mfa's event tells it again, so a failed call
    leaves the answer standing, with the user as identity will have it (DESIGN §2)."""
    ctx.cache.evict_user(user.id)
    try:
        updated = await ctx.identity.set_two_factor_enabled(
            user_id=user.id, enabled=change.enabled, changed_at=change.changed_at
        )
    except DomainError as error:
        log.warning("twoFactorEnabled left to identity's consumer", reason=error.reason)
        updated = identity_pb2.User()
        updated.CopyFrom(user)
        updated.two_factor_enabled = change.enabled
    ctx.cache.evict_user(user.id)
    return updated


async def _rotate(
    ctx: GatewayContext,
    current: CurrentSession,
    actor: envelope_pb2.Actor,
    reason: str,
    *,
    mfa_used: bool = False,
) -> session_pb2.Session:
    """Better-Auth's rotation: a new session in place of the caller's."""
    session = await ctx.session.create(
        user_id=current.user.id,
        ip_address=actor.ip,
        user_agent=actor.user_agent,
        dont_remember=current.session.dont_remember,
        method=reason,
        actor=actor,
        mfa_used=mfa_used,
    )
    await ctx.session.revoke(current.token, actor)
    return session


def _rotated(
    request: Request,
    ctx: GatewayContext,
    answer: dict[str, Any],
    session: session_pb2.Session,
    user: identity_pb2.User,
) -> Response:
    response = json_response(answer)
    set_session_cookies(response, ctx, request=request, session=session, user=user)
    return response


@router.post("/two-factor/enable")
async def enable(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request, ENABLE_TWO_FACTOR)
    current, actor = await _signed_in(request, ctx)
    user_id = current.user.id
    try:
        await ctx.identity.check_password(user_id=user_id, password=body["password"])
        if body.get("method") == "otp":
            change = await ctx.two_factor.enable_otp(user_id=user_id, actor=actor)
            user = await _apply_change(ctx, current.user, change)
            session = await _rotate(ctx, current, actor, "two-factor-enabled")
            return _rotated(request, ctx, {"method": "otp"}, session, user)
        enrolled = await ctx.two_factor.enroll_totp(
            user_id=user_id,
            account_name=current.user.email,
            issuer=body.get("issuer") or None,
            actor=actor,
        )
    except DomainError as error:
        raise api_error(error) from None
    return json_response(
        {"method": "totp", "totpURI": enrolled.totp_uri, "backupCodes": list(enrolled.backup_codes)}
    )


@router.post("/two-factor/disable")
async def disable(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request, TWO_FACTOR_PASSWORD)
    current, actor = await _signed_in(request, ctx)
    try:
        await ctx.identity.check_password(user_id=current.user.id, password=body["password"])
        change = await ctx.two_factor.disable(user_id=current.user.id, actor=actor)
        user = await _apply_change(ctx, current.user, change)
        session = await _rotate(ctx, current, actor, "two-factor-disabled")
    except DomainError as error:
        raise api_error(error) from None
    response = _rotated(request, ctx, {"status": True}, session, user)
    if ctx.cookies.trust_device in request_cookies(request):
        expire_trust_device_cookie(response, ctx)  # mfa revoked every trusted device
    return response


@router.post("/two-factor/get-totp-uri")
async def get_totp_uri(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request, TWO_FACTOR_PASSWORD)
    current, _ = await _signed_in(request, ctx)
    try:
        # Better-Auth's order: TOTP_NOT_ENABLED before the password.
        uri = await ctx.two_factor.get_totp_uri(
            user_id=current.user.id, account_name=current.user.email
        )
        await ctx.identity.check_password(user_id=current.user.id, password=body["password"])
    except DomainError as error:
        raise api_error(error) from None
    return json_response({"totpURI": uri.totp_uri})


@router.post("/two-factor/generate-backup-codes")
async def generate_backup_codes(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request, TWO_FACTOR_PASSWORD)
    current, actor = await _signed_in(request, ctx)
    if not current.user.two_factor_enabled:
        raise ApiError.from_code(400, "TWO_FACTOR_NOT_ENABLED")
    try:
        await ctx.identity.check_password(user_id=current.user.id, password=body["password"])
        codes = await ctx.two_factor.generate_backup_codes(user_id=current.user.id, actor=actor)
    except DomainError as error:
        raise api_error(error) from None
    return json_response({"status": True, "backupCodes": codes})


@router.post("/two-factor/send-otp")
async def send_otp(request: Request) -> Response:
    """A code to the user's address, for the sign-in of the `two_factor` cookie or, in a
    session, to check or turn on mailed codes."""
    ctx = context_of(request)
    await _body(request, SEND_TWO_FACTOR_OTP)
    current = await current_session(request, ctx)
    actor = actor_of(request, ctx)
    if current is not None:
        actor.user_id = current.user.id
        scope = session_scope(
            user_id=current.user.id, session_id=current.session.id, email=current.user.email
        )
    else:
        challenge = challenge_id(request, ctx)
        if challenge is None:
            raise _no_challenge()
        scope = challenge_scope(challenge)
    try:
        await ctx.two_factor.send_otp(scope=scope, actor=actor)
    except DomainError as error:
        raise api_error(error) from None
    return json_response({"status": True})


@router.post("/two-factor/verify-totp")
async def verify_totp(request: Request) -> Response:
    return await _verify(request, VERIFY_TWO_FACTOR_CODE, TOTP)


@router.post("/two-factor/verify-otp")
async def verify_otp(request: Request) -> Response:
    return await _verify(request, VERIFY_TWO_FACTOR_CODE, OTP)


@router.post("/two-factor/verify-backup-code")
async def verify_backup_code(request: Request) -> Response:
    return await _verify(request, VERIFY_BACKUP_CODE, BACKUP_CODE)


async def _verify(
    request: Request, schema: BodySchema, factor: "mfa_pb2.Factor.ValueType"
) -> Response:
    """In a session (Better-Auth reads it first), or else for the `two_factor` cookie's
    challenge."""
    ctx = context_of(request)
    body = await _body(request, schema)
    current = await current_session(request, ctx)
    if current is not None:
        return await _verify_in_session(request, ctx, current, body, factor)
    challenge = challenge_id(request, ctx)
    if challenge is None:
        raise _no_challenge()
    actor = actor_of(request, ctx)
    without_session = factor == BACKUP_CODE and body.get("disableSession") is True
    try:
        verified = await ctx.two_factor.verify(
            scope=challenge_scope(challenge),
            factor=factor,
            code=body["code"],
            trust_device=body.get("trustDevice") is True and not without_session,
            actor=actor,
        )
        actor.user_id = verified.user_id
        if without_session:
            user = await ctx.identity.get_user(verified.user_id)
            response = json_response({"user": user_json(user)})
            expire_challenge_cookie(response, ctx)
            return response
        issued = await issue_session(
            ctx,
            request=request,
            user_id=verified.user_id,
            method=SESSION_METHOD,
            dont_remember=verified.dont_remember,
            actor=actor,
            second_factor_satisfied=True,
        )
    except DomainError as error:
        raise _two_factor_error(error) from None
    response = json_response({"token": issued.session.token, "user": user_json(issued.user)})
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    expire_challenge_cookie(response, ctx)
    if verified.HasField("trusted_device"):
        line = trust_device_line(ctx, verified.user_id, verified.trusted_device)
        response.headers.append("set-cookie", line)
        # Better-Auth: a trusted device is remembered, whatever the sign-in's rememberMe.
        response.headers.append("set-cookie", ctx.cookies.delete_line(ctx.cookies.dont_remember))
    return response


async def _verify_in_session(
    request: Request,
    ctx: GatewayContext,
    current: CurrentSession,
    body: dict[str, Any],
    factor: "mfa_pb2.Factor.ValueType",
) -> Response:
    """Checks a factor of the signed-in user; the first right TOTP code after enrollment, or
    mailed code while two-factor is off, turns it on and rotates the session."""
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    enabling_otp = factor == OTP and not current.user.two_factor_enabled
    if enabling_otp and not is_fresh(current.session, ctx.settings.session_fresh_age_s):
        raise SESSION_NOT_FRESH.error()
    scope = session_scope(
        user_id=current.user.id, session_id=current.session.id, email=current.user.email
    )
    try:
        verified = await ctx.two_factor.verify(
            scope=scope, factor=factor, code=body["code"], trust_device=False, actor=actor
        )
        if not verified.HasField("enabled"):
            return json_response({"token": current.token, "user": user_json(current.user)})
        user = await _apply_change(ctx, current.user, verified.enabled)
        session = await _rotate(ctx, current, actor, "two-factor-enabled", mfa_used=True)
    except DomainError as error:
        raise _two_factor_error(error) from None
    return _rotated(request, ctx, {"token": session.token, "user": user_json(user)}, session, user)


@extras.get("/two-factor/qr")
async def totp_qr(request: Request) -> Response:
    """The QR code of the caller's TOTP secret while its enrollment awaits its first code
    (after `/api/auth/two-factor/enable`): `?format=svg` (default) or `png`. A verified secret
    is shown only by get-totp-uri, which asks for the password (400 TOTP_ALREADY_ENABLED
    here), so a stolen session cookie cannot copy an authenticator."""
    ctx = context_of(request)
    query = validate_body(
        query_object(request.query_params.multi_items()), TWO_FACTOR_QR_QUERY, source="query"
    )
    kind = str(query.get("format") or "svg")
    current = await require_session(request, ctx)
    try:
        uri = await ctx.two_factor.get_totp_uri(
            user_id=current.user.id, account_name=current.user.email
        )
    except DomainError as error:
        raise api_error(error) from None
    if uri.verified:
        raise ApiError.from_code(400, "TOTP_ALREADY_ENABLED")
    image = io.BytesIO()
    segno.make(uri.totp_uri, error="m").save(image, kind=kind, scale=4, border=4)
    return Response(
        image.getvalue(), media_type=_QR_MEDIA_TYPES[kind], headers={"cache-control": "no-store"}
    )
