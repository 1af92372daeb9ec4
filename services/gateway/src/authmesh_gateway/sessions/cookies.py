"""The session cookies Better-Auth sets and clears (api.md §3): `session_token`,
`dont_remember`, and the `session_data` cookie cache.

The cookie cache is written for apps that read it with Better-Auth's `getCookieCache`, at the
moments Better-Auth writes it: with every new session cookie, and whenever Better-Auth would
have read the session from its database, that is when the request's own `session_data` is
missing, unusable or bypassed (`CookieCacheState`). The gateway never authorizes from it.
"""

import enum
import time
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from authmesh.identity.v1 import identity_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.http_io import json_bytes, request_cookies
from authmesh_gateway.serialize import session_json, user_json
from authmesh_gateway.sessions.second_factor import queued_sign_in_cookies
from authmesh_gateway.wire.cookie_cache import (
    BROWSER_SESSION_LIFETIME_S,
    MAX_COOKIE_SIZE,
    chunk_cookie_value,
    claims_are_current,
    cookie_cache_names,
    cookie_cache_value,
    encode_cookie_cache,
    read_cookie_cache,
)
from authmesh_gateway.wire.cookies import sign_cookie_value, signed_value, verify_signed_cookie

_MAX_VERIFIED_CACHES = 10_000  # values are ~2 KB each


class CookieCacheState(enum.Enum):
    ABSENT = "absent"
    CURRENT = "current"  # Better-Auth would answer from it
    UNUSABLE = (
        "unusable"  # present but forged, another session's, or expired: Better-Auth expires it
    )


def session_answer(session: session_pb2.Session, user: identity_pb2.User) -> bytes:
    """The get-session body, `{"session":…,"user":…}`, which is also what the cookie cache
    holds."""
    return json_bytes({"session": session_json(session), "user": user_json(user)})


def set_session_cookies(
    response: Response,
    ctx: GatewayContext,
    *,
    request: Request,
    session: session_pb2.Session,
    user: identity_pb2.User,
) -> None:
    """Better-Auth's `setSessionCookie` for a session just made, refreshed or changed:
    session_token (a browser-session cookie for rememberMe:false), dont_remember, the
    cookie cache, the bearer plugin's `set-auth-token` header, and the cookies the sign-in
    queued (sessions/second_factor.py)."""
    cookies = request_cookies(request)
    secret = ctx.secrets[0]
    append = response.headers.append
    max_age = None if session.dont_remember else ctx.settings.session_expires_in_s
    append(
        "set-cookie",
        ctx.cookies.set_line(
            ctx.cookies.session_token, sign_cookie_value(session.token, secret), max_age
        ),
    )
    if session.dont_remember:
        append(
            "set-cookie",
            ctx.cookies.set_line(
                ctx.cookies.dont_remember, sign_cookie_value("true", secret), None
            ),
        )
    elif _remembers_not(cookies, ctx):
        append("set-cookie", ctx.cookies.delete_line(ctx.cookies.dont_remember))
    set_cookie_cache(
        response, ctx, cookies, session_answer(session, user), dont_remember=session.dont_remember
    )
    # The bearer plugin's header (api.md §3): the signed value, URL-decoded.
    response.headers["set-auth-token"] = signed_value(session.token, secret)
    response.headers["access-control-expose-headers"] = "set-auth-token"
    # What the sign-in that made the session queued (a trusted device's successor).
    for line in queued_sign_in_cookies(request):
        append("set-cookie", line)


def _remembers_not(cookies: Mapping[str, str], ctx: GatewayContext) -> bool:
    """A validly signed dont_remember cookie, which a remembered session's cookies expire."""
    wire = cookies.get(ctx.cookies.dont_remember)
    return wire is not None and verify_signed_cookie(wire, ctx.secrets) is not None


def set_cookie_cache(
    response: Response,
    ctx: GatewayContext,
    cookies: Mapping[str, str],
    session_and_user: bytes,
    *,
    dont_remember: bool,
) -> None:
    """Writes `session_data` for `session_and_user` (a `session_answer`), split into chunks
    when too large, after expiring the request's stale chunks; nothing when the cookie cache
    is off. Signed to last `cookie_cache_max_age_s`, or 60 s without Max-Age for a session
    that is not remembered, as Better-Auth does."""
    max_age_s = ctx.settings.cookie_cache_max_age_s
    if max_age_s == 0:
        return
    now_ms = int(time.time() * 1000)
    lifetime_s = BROWSER_SESSION_LIFETIME_S if dont_remember else max_age_s
    value = encode_cookie_cache(
        session_and_user,
        secret=ctx.secrets[0],
        now_ms=now_ms,
        expires_at_ms=now_ms + lifetime_s * 1000,
    )
    cookie_max_age = None if dont_remember else max_age_s
    name = ctx.cookies.session_data
    # The chunk size leaves room for the longest chunk name and the attributes.
    chunk_size = MAX_COOKIE_SIZE - len(ctx.cookies.set_line(f"{name}.99", "", cookie_max_age))
    lines = {stale: ctx.cookies.delete_line(stale) for stale in cookie_cache_names(cookies, name)}
    for chunk_name, chunk in chunk_cookie_value(name, value, chunk_size):
        lines[chunk_name] = ctx.cookies.set_line(chunk_name, chunk, cookie_max_age)
    for line in lines.values():
        response.headers.append("set-cookie", line)


def expire_cookie_cache(
    response: Response, ctx: GatewayContext, cookies: Mapping[str, str]
) -> None:
    """Expires the request's `session_data` and its chunks (Better-Auth's `clean()`)."""
    for name in cookie_cache_names(cookies, ctx.cookies.session_data):
        response.headers.append("set-cookie", ctx.cookies.delete_line(name))


def cookie_cache_state(
    ctx: GatewayContext, cookies: Mapping[str, str], token: str
) -> CookieCacheState:
    """Whether Better-Auth would answer this request from its `session_data` cookie."""
    value = cookie_cache_value(cookies, ctx.cookies.session_data)
    if value is None:
        return CookieCacheState.ABSENT
    claims = ctx.cookie_caches.get(value)
    if claims is None:
        claims = read_cookie_cache(value, ctx.secrets[0])
        if claims is None:
            return CookieCacheState.UNUSABLE
        if len(ctx.cookie_caches) >= _MAX_VERIFIED_CACHES:
            ctx.cookie_caches.clear()
        ctx.cookie_caches[value] = claims
    if claims_are_current(claims, token, time.time() * 1000):
        return CookieCacheState.CURRENT
    return CookieCacheState.UNUSABLE


def renew_cookie_cache(
    response: Response,
    ctx: GatewayContext,
    request: Request,
    *,
    token: str,
    session_and_user: bytes,
    dont_remember: bool,
    authoritative: bool,
) -> None:
    """What Better-Auth's session lookup writes: nothing when it could answer from the
    request's cookie cache, else a fresh one (after expiring an unusable one). An
    `authoritative` lookup (`disableCookieCache`, sensitive endpoints) always writes one."""
    if ctx.settings.cookie_cache_max_age_s == 0:
        expire_cookie_cache(response, ctx, request_cookies(request))
        return
    cookies = request_cookies(request)
    if not authoritative:
        state = cookie_cache_state(ctx, cookies, token)
        if state is CookieCacheState.CURRENT:
            return
        if state is CookieCacheState.UNUSABLE:
            response.headers.append("set-cookie", ctx.cookies.delete_line(ctx.cookies.session_data))
    set_cookie_cache(response, ctx, cookies, session_and_user, dont_remember=dont_remember)


def clear_session_cookies(response: Response, ctx: GatewayContext, request: Request) -> None:
    """Better-Auth's `deleteSessionCookie`: session_token, session_data (and each chunk of it
    the request carries), dont_remember."""
    append = response.headers.append
    append("set-cookie", ctx.cookies.delete_line(ctx.cookies.session_token))
    append("set-cookie", ctx.cookies.delete_line(ctx.cookies.session_data))
    expire_cookie_cache(response, ctx, request_cookies(request))
    append("set-cookie", ctx.cookies.delete_line(ctx.cookies.dont_remember))
