"""The session cookies Better-Auth sets and clears (api.md §3)."""

from starlette.responses import Response

from authmesh_gateway.context import GatewayContext
from authmesh_gateway.wire.cookies import (
    delete_cookie_header,
    set_cookie_header,
    sign_cookie_value,
    signed_value,
)


def set_session_cookies(
    response: Response, ctx: GatewayContext, token: str, dont_remember: bool
) -> None:
    signed = sign_cookie_value(token, ctx.secrets[0])
    max_age = None if dont_remember else ctx.settings.session_expires_in_s
    response.headers.append(
        "set-cookie",
        set_cookie_header(ctx.cookies.session_token, signed, max_age, ctx.cookies.secure),
    )
    if dont_remember:
        response.headers.append(
            "set-cookie",
            set_cookie_header(
                ctx.cookies.dont_remember,
                sign_cookie_value("true", ctx.secrets[0]),
                None,
                ctx.cookies.secure,
            ),
        )
    # The bearer plugin's header (api.md §3): the signed value, URL-decoded.
    response.headers["set-auth-token"] = signed_value(token, ctx.secrets[0])
    response.headers["access-control-expose-headers"] = "set-auth-token"


def clear_session_cookies(response: Response, ctx: GatewayContext) -> None:
    for name in (ctx.cookies.session_token, ctx.cookies.session_data, ctx.cookies.dont_remember):
        response.headers.append("set-cookie", delete_cookie_header(name, ctx.cookies.secure))
