"""The caller's session, read authoritatively: from the session service, never from a cache
(Better-Auth's `sensitiveSessionMiddleware`, `disableCookieCache` semantics). Account changes
act on it, so a session revoked a moment ago must not pass."""

from dataclasses import dataclass

from starlette.requests import Request

from authmesh.identity.v1 import identity_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import session_token
from authmesh_gateway.wire.errors import UNAUTHORIZED
from authmesh_kit.errors import DomainError, ErrorKind

# Answers that mean "no such session", not a failure.
_NO_SESSION = (ErrorKind.NOT_FOUND, ErrorKind.INVALID_ARGUMENT)


@dataclass(frozen=True)
class CurrentSession:
    token: str
    session: session_pb2.Session
    user: identity_pb2.User


async def current_session(request: Request, ctx: GatewayContext) -> CurrentSession | None:
    token = session_token(request, ctx)
    if token is None:
        return None
    try:
        # No refresh: these endpoints set no session cookie of their own.
        found = await ctx.session.get(token, disable_refresh=True)
        user = await ctx.identity.get_user(found.session.user_id)
    except DomainError as error:
        if error.kind in _NO_SESSION:
            return None
        raise api_error(error) from None
    return CurrentSession(token=token, session=found.session, user=user)


async def require_session(request: Request, ctx: GatewayContext) -> CurrentSession:
    """401 UNAUTHORIZED without a live session."""
    current = await current_session(request, ctx)
    if current is None:
        raise UNAUTHORIZED.error()
    return current
