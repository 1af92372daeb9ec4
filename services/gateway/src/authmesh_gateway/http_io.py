"""Reading requests and writing responses the way Better-Auth does on the wire."""

import json
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authmesh.events.v1 import envelope_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.security.csrf import (
    OriginHeaders,
    check_form_csrf,
    check_origin,
    check_redirect_urls,
)
from authmesh_gateway.wire import body as wire_body
from authmesh_gateway.wire.bearer import bearer_credential
from authmesh_gateway.wire.body import JSON_ONLY, MISSING, Body, MediaType
from authmesh_gateway.wire.client_ip import client_ip
from authmesh_gateway.wire.cookies import parse_cookie_header, verify_signed_cookie
from authmesh_gateway.wire.errors import ApiError

_JSON = "application/json"
MAX_USER_AGENT = 512
_MAX_VERIFIED_COOKIES = 100_000
_COOKIES_KEY = "authmesh.cookies"


def json_bytes(value: Any) -> bytes:
    """JSON as JavaScript's JSON.stringify writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json_bytes(value), status, headers, media_type=_JSON)


def error_response(error: ApiError) -> Response:
    body = error.body()
    return Response(body or b"", error.status, dict(error.headers), media_type=_JSON)


async def read_body(
    request: Request, ctx: GatewayContext, allowed: Sequence[MediaType] = JSON_ONLY
) -> Body:
    """The request body as Better-Auth's endpoints get it before zod: read as wire/body.py
    says, capped at `max_body_bytes` (Authmesh answers 413 where Better-Auth would read any
    size), then through the router's origin check and redirect-field checks
    (security/csrf.py), which Better-Auth runs on every POST once the body is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > ctx.settings.max_body_bytes:
        raise ApiError.too_large()
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > ctx.settings.max_body_bytes:
            raise ApiError.too_large()
    body = wire_body.read_body(request.headers.get("content-type"), bytes(raw), allowed)
    check_router_origin(request, ctx, body)
    return body


def check_router_origin(request: Request, ctx: GatewayContext, body: Body = MISSING) -> None:
    """Better-Auth's router `originCheckMiddleware` on a POST: the Origin of a request that
    carries cookies, then the redirect fields of the body and the query (security/csrf.py)."""
    check_origin(OriginHeaders.read(request.headers.getlist), trusted=ctx.trusted_origins)
    query = {"callbackURL": request.query_params.getlist("callbackURL")}
    check_redirect_urls(body, query, trusted=ctx.trusted_origins)


def check_first_login_csrf(request: Request, ctx: GatewayContext) -> None:
    """Better-Auth's formCsrf, which sign-up, sign-in, magic-link sign-in and the email-OTP
    send run after zod and before their handler (security/csrf.py)."""
    check_form_csrf(OriginHeaders.read(request.headers.getlist), trusted=ctx.trusted_origins)


def request_cookies(request: Request) -> dict[str, str]:
    """The request's cookies (`parse_cookie_header`), parsed once per request."""
    cookies: dict[str, str] | None = request.scope.get(_COOKIES_KEY)
    if cookies is None:
        header = request.headers.get("cookie")
        cookies = parse_cookie_header(header) if header else {}
        request.scope[_COOKIES_KEY] = cookies
    return cookies


def session_token(request: Request, ctx: GatewayContext) -> str | None:
    """The token of a validly signed session cookie, or None (forged cookies cost no hop).

    A usable `Authorization: Bearer` credential wins over the cookie, which Better-Auth's
    bearer plugin replaces with it (wire/bearer.py); an unusable one is ignored."""
    authorization = request.headers.get("authorization")
    bearer = bearer_credential(authorization) if authorization else None
    if bearer is not None:
        token = _verified_signed_value(bearer.value, ctx) if bearer.signed else bearer.value
        if token is not None:
            return token
    wire = request_cookies(request).get(ctx.cookies.session_token)
    if wire is None:
        return None
    return _verified_signed_value(wire, ctx)


def _verified_signed_value(wire: str, ctx: GatewayContext) -> str | None:
    token = ctx.verified_cookies.get(wire)
    if token is None:
        token = verify_signed_cookie(wire, ctx.secrets)
        if token is not None:
            if len(ctx.verified_cookies) >= _MAX_VERIFIED_COOKIES:
                ctx.verified_cookies.clear()
            ctx.verified_cookies[wire] = token
    return token


def actor_of(request: Request, ctx: GatewayContext) -> envelope_pb2.Actor:
    peer = request.client.host if request.client else ""
    ip = client_ip(peer, request.headers.get("x-forwarded-for"), ctx.trusted_proxies)
    return envelope_pb2.Actor(
        kind=envelope_pb2.ACTOR_KIND_USER,
        ip=ip,
        user_agent=request.headers.get("user-agent", "")[:MAX_USER_AGENT],
    )
