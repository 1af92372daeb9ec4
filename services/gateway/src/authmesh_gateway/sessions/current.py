"""The caller's session, read authoritatively: from the session service, never from a cache
(Better-Auth's `sensitiveSessionMiddleware`, `disableCookieCache` semantics). Account changes
act on it, so a session revoked a moment ago must not pass."""

import time
from dataclasses import dataclass

from starlette.requests import Request

from authmesh.identity.v1 import identity_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.context import GatewayContext
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import session_token
from authmesh_gateway.wire.errors import SESSION_NOT_FRESH, UNAUTHORIZED
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


def is_fresh(session: session_pb2.Session, fresh_age_s: int) -> bool:
    """Better-Auth's `freshAge`: created less than `fresh_age_s` ago; 0 makes every session
    fresh."""
    if fresh_age_s == 0:
        return True
    return time.time() - session.created_at.ToMilliseconds() / 1000 < fresh_age_s


async def require_fresh_session(request: Request, ctx: GatewayContext) -> CurrentSession:
    """Better-Auth's `freshSessionMiddleware`: 401 UNAUTHORIZED without a live session, 403
    SESSION_NOT_FRESH for one older than `session_fresh_age_s`."""
    current = await require_session(request, ctx)
    if not is_fresh(current.session, ctx.settings.session_fresh_age_s):
        raise SESSION_NOT_FRESH.error()
    return current
