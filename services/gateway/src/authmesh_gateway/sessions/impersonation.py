"""The `admin_session` cookie of an impersonation (Better-Auth's admin plugin, api.md §3): while an
admin browses as a user, it keeps the admin's own session token and that session's
`dont_remember` value, as `<token>:<"true" or "">`, signed like every cookie and with the
session cookie's attributes. impersonate-user sets it; stop-impersonating reads it to give the
admin their session back, and expires it. The admin's session itself stays as it was."""

from starlette.requests import Request
from starlette.responses import Response

from authmesh_gateway.context import GatewayContext
from authmesh_gateway.http_io import request_cookies
from authmesh_gateway.wire.cookies import sign_cookie_value, verify_signed_cookie

ADMIN_SESSION = "admin_session"


def _name(ctx: GatewayContext) -> str:
    return ctx.cookies.name(ADMIN_SESSION)


def _verified(request: Request, ctx: GatewayContext, name: str) -> str | None:
    wire = request_cookies(request).get(name)
    return verify_signed_cookie(wire, ctx.secrets) if wire is not None else None


def set_admin_session_cookie(
    response: Response, request: Request, ctx: GatewayContext, *, admin_token: str
) -> None:
    """Keeps the admin's token, and the request's `dont_remember` value (the admin's session's)."""
    dont_remember = _verified(request, ctx, ctx.cookies.dont_remember) or ""
    value = sign_cookie_value(f"{admin_token}:{dont_remember}", ctx.secrets[0])
    line = ctx.cookies.set_line(_name(ctx), value, ctx.settings.session_expires_in_s)
    response.headers.append("set-cookie", line)


def admin_session_token(request: Request, ctx: GatewayContext) -> str | None:
    """The admin's token in the request's validly signed `admin_session`, or None. (Whether
    that session is remembered, the session service knows.)"""
    value = _verified(request, ctx, _name(ctx))
    token = value.partition(":")[0] if value else ""
    return token or None


def expire_admin_session_cookie(response: Response, ctx: GatewayContext) -> None:
    response.headers.append("set-cookie", ctx.cookies.delete_line(_name(ctx)))
