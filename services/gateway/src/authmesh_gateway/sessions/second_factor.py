"""The cookies and answers of a sign-in that still owes its second factor (Better-Auth's
twoFactor plugin, api.md §3 and §9.2): the `two_factor` cookie, which carries mfa's challenge
id signed like every cookie, and the `trust_device` cookie of a device trusted for 30 days.

`trust_device` holds `<HMAC-SHA256(secret, "<userId>!<deviceId>"), base64url>!<deviceId>`,
signed, as Better-Auth writes it: the HMAC binds the device to its user before mfa is asked,
and mfa keeps only a hash of the id, consumed and replaced at each sign-in it skips the factor
of. A rotated cookie is queued on the request (`queue_sign_in_cookie`) and written by
`set_session_cookies` with the session cookies, whichever route answers the sign-in.
"""

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from authmesh.identity.v1 import identity_pb2
from authmesh.mfa.v1 import mfa_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.http_io import json_response, request_cookies
from authmesh_gateway.wire.cookies import sign_cookie_value, verify_signed_cookie
from authmesh_gateway.wire.js import text_encode

SIGN_IN_COOKIES_KEY = "authmesh.sign_in_cookies"


@dataclass(frozen=True)
class SecondFactorRequired:
    """A first factor passed; the session waits for a second (`issue_session`)."""

    user: identity_pb2.User
    challenge: mfa_pb2.StartChallengeResponse
    dont_remember: bool
    expire_trust_device: bool  # the request's trust_device cookie did not skip the factor


def _seconds_until(stamp: "mfa_pb2.StartChallengeResponse | mfa_pb2.TrustedDevice") -> int:
    return max(0, round(stamp.expires_at.ToMilliseconds() / 1000 - time.time()))


def set_challenge_cookies(
    response: Response, ctx: GatewayContext, required: SecondFactorRequired
) -> None:
    """Better-Auth's cookies of a sign-in answered with `twoFactorRedirect`: `dont_remember`
    for a sign-in with rememberMe:false (the session to come honours it), the session cookies
    expired, and the `two_factor` cookie."""
    append = response.headers.append
    secret = ctx.secrets[0]
    if required.dont_remember:
        line = ctx.cookies.set_line(
            ctx.cookies.dont_remember, sign_cookie_value("true", secret), None
        )
        append("set-cookie", line)
    if required.expire_trust_device:
        append("set-cookie", ctx.cookies.delete_line(ctx.cookies.trust_device))
    append("set-cookie", ctx.cookies.delete_line(ctx.cookies.session_token))
    append("set-cookie", ctx.cookies.delete_line(ctx.cookies.session_data))
    challenge = required.challenge
    append(
        "set-cookie",
        ctx.cookies.set_line(
            ctx.cookies.two_factor,
            sign_cookie_value(challenge.challenge_id, secret),
            _seconds_until(challenge),
        ),
    )


def two_factor_redirect(ctx: GatewayContext, required: SecondFactorRequired) -> Response:
    """`{"twoFactorRedirect":true,"twoFactorMethods":[…]}` with the challenge's cookies."""
    response = json_response(
        {"twoFactorRedirect": True, "twoFactorMethods": list(required.challenge.methods)}
    )
    set_challenge_cookies(response, ctx, required)
    return response


def challenge_id(request: Request, ctx: GatewayContext) -> str | None:
    """The challenge id of a validly signed `two_factor` cookie."""
    wire = request_cookies(request).get(ctx.cookies.two_factor)
    return verify_signed_cookie(wire, ctx.secrets) if wire is not None else None


def expire_challenge_cookie(response: Response, ctx: GatewayContext) -> None:
    response.headers.append("set-cookie", ctx.cookies.delete_line(ctx.cookies.two_factor))


def _device_binding(secret: str, user_id: str, device_id: str) -> str:
    mac = hmac.digest(text_encode(secret), text_encode(f"{user_id}!{device_id}"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def trust_device_line(ctx: GatewayContext, user_id: str, device: mfa_pb2.TrustedDevice) -> str:
    """The `trust_device` cookie naming a device mfa trusts for the user."""
    secret = ctx.secrets[0]
    value = f"{_device_binding(secret, user_id, device.device_id)}!{device.device_id}"
    return ctx.cookies.set_line(
        ctx.cookies.trust_device, sign_cookie_value(value, secret), _seconds_until(device)
    )


def has_trust_device_cookie(request: Request, ctx: GatewayContext) -> bool:
    return ctx.cookies.trust_device in request_cookies(request)


def trusted_device_id(request: Request, ctx: GatewayContext, user_id: str) -> str | None:
    """The device id of a validly signed `trust_device` cookie bound to `user_id` (under any
    of the secrets, which rotate)."""
    wire = request_cookies(request).get(ctx.cookies.trust_device)
    value = verify_signed_cookie(wire, ctx.secrets) if wire is not None else None
    if value is None:
        return None
    binding, _, device_id = value.partition("!")
    matched = False
    for secret in ctx.secrets:
        expected = _device_binding(secret, user_id, device_id)
        matched |= hmac.compare_digest(text_encode(expected), text_encode(binding))
    return device_id if matched and device_id else None


def expire_trust_device_cookie(response: Response, ctx: GatewayContext) -> None:
    response.headers.append("set-cookie", ctx.cookies.delete_line(ctx.cookies.trust_device))


def queue_sign_in_cookie(request: Request, line: str) -> None:
    """A `Set-Cookie` line for the answer that carries this request's new session."""
    request.scope.setdefault(SIGN_IN_COOKIES_KEY, []).append(line)


def queued_sign_in_cookies(request: Request) -> list[str]:
    lines: list[str] = request.scope.get(SIGN_IN_COOKIES_KEY, [])
    return lines
