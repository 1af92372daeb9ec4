"""The jwt plugin's JWTs at the gateway (api.md §7, §9.11): the `set-auth-jwt` header of
get-session, served from a per-process cache.

The session service signs (TokenService.IssueToken); the gateway keeps each JWT until shortly
before it expires (sessions/jwt_cache.py), so the hot path signs nothing (DESIGN §2).
"""

import hashlib
import json
from typing import Any

import structlog
from starlette.responses import Response

from authmesh_gateway.clients.tokens import IssuedToken
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.http_io import json_bytes
from authmesh_kit.errors import DomainError, ErrorKind

log = structlog.get_logger(__name__)

EXPOSE_HEADERS = "access-control-expose-headers"


async def issue_jwt(ctx: GatewayContext, token: str, user: dict[str, Any]) -> IssuedToken:
    """A new JWT for the session of `token`, whose user is `user` (serialize.user_json)."""
    return await ctx.tokens.issue(token, json_bytes(user).decode())


def expose_header(response: Response, name: str) -> None:
    """Adds `name` to Access-Control-Expose-Headers, as Better-Auth's plugins do."""
    listed = response.headers.get(EXPOSE_HEADERS)
    response.headers[EXPOSE_HEADERS] = f"{listed}, {name}" if listed else name


async def set_auth_jwt(response: Response, ctx: GatewayContext, token: str, body: bytes) -> None:
    """The `set-auth-jwt` header for get-session's answer `body` (a session and its user).
    When no JWT can be had (the session service is unreachable, or the session ended a moment
    ago), the answer goes without it rather than failing the hot path."""
    # Keyed by the answer's digest: a JWT is only reached once its session was checked, and
    # never outlives the user data it carries.
    key = hashlib.sha256(body).digest()
    jwt = ctx.jwts.get(key)
    if jwt is None:
        try:
            issued = await issue_jwt(ctx, token, json.loads(body)["user"])
        except DomainError as error:
            if error.kind is not ErrorKind.NOT_FOUND:
                log.warning("no jwt for get-session", reason=error.reason)
            return
        ctx.jwts.put(key, issued)
        jwt = issued.token
    response.headers["set-auth-jwt"] = jwt
    expose_header(response, "set-auth-jwt")
