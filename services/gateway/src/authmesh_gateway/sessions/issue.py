"""`issue_session`: the one function every sign-in path ends in (DESIGN §2).

identity.AssertCanSignIn (banned, deleted; a password sign-in's identity.VerifyPassword made
that check already, and its user comes as `checked_user`) → risk.Assess (sessions/risk.py:
allow, challenge, deny, or the operator's policy when risk does not answer within its
deadline) → the second factor → session.Create, which records risk's outcome.

A risk challenge asks for the second factor like an enrolled one; a user without any factor
gets a challenge whose only method is a code mailed to the address on file (mfa's
`risk_challenge`), answered with /two-factor/send-otp and /two-factor/verify-otp.

The second factor: a user whose `two_factor_enabled` identity reports gets no session, cookie
cache, bearer token or JWT here, but a `SecondFactorRequired` (mfa's challenge, which the route
answers with `twoFactorRedirect` and the `two_factor` cookie, sessions/second_factor.py) —
unless the request carries a trusted device of the user, which mfa rotates (its successor's
cookie rides along with the session cookies), or the caller already holds a second factor
(`second_factor_satisfied`: a verified challenge, a user-verified passkey), or the sign-in
path is one the operator exempted (`ask_second_factor=False`: email proofs with
AUTHMESH_TWO_FACTOR_ON_EMAIL_SIGN_IN off). Identity's flag
decides whether mfa is asked at all, so users without a factor sign in while mfa is down; users
with one fail closed then (503 TWO_FACTOR_UNAVAILABLE). mfa has the last word on the factors: a
user it knows none of (identity's flag lagging behind a disable) gets the session.
"""

from dataclasses import dataclass
from typing import Literal, overload

from starlette.requests import Request

from authmesh.events.v1 import envelope_pb2
from authmesh.identity.v1 import identity_pb2
from authmesh.mfa.v1 import mfa_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.sessions.risk import CHALLENGE, assess_sign_in
from authmesh_gateway.sessions.second_factor import (
    SecondFactorRequired,
    has_trust_device_cookie,
    queue_sign_in_cookie,
    trust_device_line,
    trusted_device_id,
)
from authmesh_gateway.wire.errors import ApiError
from authmesh_kit.errors import DomainError, ErrorKind

_UNREACHABLE = (ErrorKind.UNAVAILABLE, ErrorKind.DEADLINE_EXCEEDED)
TWO_FACTOR_UNAVAILABLE_MESSAGE = (
    "Two-factor authentication is temporarily unavailable. Please try again later."
)


@dataclass(frozen=True)
class IssuedSession:
    session: session_pb2.Session
    user: identity_pb2.User


@overload
async def issue_session(
    ctx: GatewayContext,
    *,
    request: Request,
    user_id: str,
    method: str,
    dont_remember: bool,
    actor: envelope_pb2.Actor,
    second_factor_satisfied: Literal[True],
    ask_second_factor: bool = True,
    password_blocklisted: bool = False,
    checked_user: identity_pb2.User | None = None,
) -> IssuedSession: ...


@overload
async def issue_session(
    ctx: GatewayContext,
    *,
    request: Request,
    user_id: str,
    method: str,
    dont_remember: bool,
    actor: envelope_pb2.Actor,
    second_factor_satisfied: bool = False,
    ask_second_factor: bool = True,
    password_blocklisted: bool = False,
    checked_user: identity_pb2.User | None = None,
) -> IssuedSession | SecondFactorRequired: ...


async def issue_session(
    ctx: GatewayContext,
    *,
    request: Request,
    user_id: str,
    method: str,
    dont_remember: bool,
    actor: envelope_pb2.Actor,
    second_factor_satisfied: bool = False,
    ask_second_factor: bool = True,
    password_blocklisted: bool = False,
    checked_user: identity_pb2.User | None = None,
) -> IssuedSession | SecondFactorRequired:
    """A session, or the second factor the user still owes. `method` names the first factor
    (email, username, magic-link...) in the session's event and the challenge;
    `password_blocklisted`: a password sign-in whose password is on identity's blocklist;
    `checked_user`: the user as identity.VerifyPassword answered it, which passed the
    AssertCanSignIn check in that call."""
    user = (
        checked_user
        if checked_user is not None and checked_user.id == user_id
        else await ctx.identity.assert_can_sign_in(user_id)
    )
    risk = await assess_sign_in(
        ctx,
        user_id=user.id,
        email=user.email,
        method=method,
        second_factor_satisfied=second_factor_satisfied,
        password_blocklisted=password_blocklisted,
        actor=actor,
    )
    risk_challenge = risk.decision == CHALLENGE
    mfa_used = second_factor_satisfied
    owed = (user.two_factor_enabled and ask_second_factor) or risk_challenge
    if owed and not second_factor_satisfied:
        required = await _second_factor(
            ctx, request, user, method, dont_remember, actor, risk_challenge=risk_challenge
        )
        if isinstance(required, SecondFactorRequired):
            return required
        mfa_used = required
    session = await ctx.session.create(
        user_id=user.id,
        ip_address=actor.ip,
        user_agent=actor.user_agent,
        dont_remember=dont_remember,
        method=method,
        actor=actor,
        mfa_used=mfa_used,
        risk=risk,
    )
    return IssuedSession(session=session, user=user)


async def _second_factor(
    ctx: GatewayContext,
    request: Request,
    user: identity_pb2.User,
    method: str,
    dont_remember: bool,
    actor: envelope_pb2.Actor,
    *,
    risk_challenge: bool,
) -> SecondFactorRequired | bool:
    """mfa's challenge; else whether a second factor stands in for it: True for a trusted
    device, False when mfa knows no factor of the user (and risk asked for none)."""
    device_id = trusted_device_id(request, ctx, user.id)
    try:
        if device_id is not None:
            successor = await _rotate_trusted_device(ctx, user.id, device_id, actor)
            if successor is not None:
                queue_sign_in_cookie(request, trust_device_line(ctx, user.id, successor))
                return True
        challenge = await ctx.two_factor.start_challenge(
            user_id=user.id,
            email=user.email,
            dont_remember=dont_remember,
            first_factor=method,
            actor=actor,
            risk_challenge=risk_challenge,
        )
    except DomainError as error:
        if error.reason == "TWO_FACTOR_NOT_ENABLED":
            return False
        if error.kind in _UNREACHABLE:
            raise ApiError(503, "TWO_FACTOR_UNAVAILABLE", TWO_FACTOR_UNAVAILABLE_MESSAGE) from None
        raise
    return SecondFactorRequired(
        user=user,
        challenge=challenge,
        dont_remember=dont_remember,
        expire_trust_device=has_trust_device_cookie(request, ctx),
    )


async def _rotate_trusted_device(
    ctx: GatewayContext, user_id: str, device_id: str, actor: envelope_pb2.Actor
) -> mfa_pb2.TrustedDevice | None:
    try:
        return await ctx.two_factor.rotate_trusted_device(
            user_id=user_id, device_id=device_id, actor=actor
        )
    except DomainError as error:
        if error.reason == "TRUSTED_DEVICE_NOT_FOUND":
            return None
        raise
