"""The live audit feeds over WebSocket (docs/audit.md): `/api/admin/audit/feed` for admins (every
event, optionally filtered by userId, organizationId, type and ip as in the listing) and
`/api/me/security-activity/feed` for a user's own security activity. Each message is one event
as JSON (feed/documents.py); nothing in it is a secret.

The handshake is authenticated like any request, by the session cookie or a bearer token; a
browser's Origin must be trusted (cross-site WebSocket hijacking). A refused handshake is an
HTTP answer in Better-Auth's error shape: 401, 403. The connection closes with 4401 when its
session ends (revoked, expired, user banned or deleted), 4403 when the user stops being an
admin, and 1013 when the client reads too slowly to keep up.
"""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.requests import Request

from authmesh.audit.v1 import audit_pb2
from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.feed.documents import security_activity_types
from authmesh_gateway.feed.hub import Accept, Listener
from authmesh_gateway.http_io import error_response
from authmesh_gateway.routes.audit import event_filter, require_audit_reader
from authmesh_gateway.sessions.current import CurrentSession, current_session, require_session
from authmesh_gateway.wire.errors import ApiError
from authmesh_kit.events.catalogue import SESSION_REVOKED, USER_BANNED, USER_DELETED
from authmesh_kit.events.envelope import Envelope

router = APIRouter()

_READY_WAIT_S = 2.0
# How often an open feed checks that its session is still valid and its user still an admin
# (revocations and bans end it at once through the feed itself; this catches expiry and roles).
_RECHECK_S = 60.0
CLOSE_SESSION_ENDED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 1013


def as_request(websocket: WebSocket) -> Request:
    """The handshake as a Request, for the session helpers every route uses: the same headers,
    cookies and peer (a Request only accepts an HTTP scope)."""
    return Request({**websocket.scope, "type": "http", "method": "GET"})


async def _refuse(websocket: WebSocket, error: ApiError) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(error_response(error))
    else:
        await websocket.close(code=1008)


def _origin_trusted(websocket: WebSocket, ctx: GatewayContext) -> bool:
    origin = websocket.headers.get("origin")
    return origin is None or ctx.trusted_origins.is_trusted_origin_header(origin)


def _ends(current: CurrentSession) -> Accept:
    user_id, session_id = current.user.id, current.session.id

    def ends(envelope: Envelope) -> bool:
        if envelope.type == SESSION_REVOKED.type:
            return envelope.subject.session_id == session_id
        return envelope.type in _USER_ENDINGS and envelope.subject.user_id == user_id

    return ends


_USER_ENDINGS = frozenset({USER_BANNED.type, USER_DELETED.type})


def _matches(found: audit_pb2.EventFilter) -> Accept:
    types = frozenset(found.types)

    def accept(envelope: Envelope) -> bool:
        subject = envelope.subject
        return (
            (not found.user_id or subject.user_id == found.user_id)
            and (not found.organization_id or subject.organization_id == found.organization_id)
            and (not types or envelope.type in types)
            and (not found.ip or envelope.actor.ip == found.ip)
        )

    return accept


async def _still_allowed(request: Request, ctx: GatewayContext, admin: bool) -> int | None:
    """None while the connection may go on, else its close code."""
    try:
        if admin:
            await require_audit_reader(request, ctx)
        elif await current_session(request, ctx) is None:
            return CLOSE_SESSION_ENDED
    except ApiError as error:
        return CLOSE_FORBIDDEN if error.status == 403 else CLOSE_SESSION_ENDED
    return None


async def _serve(
    websocket: WebSocket,
    ctx: GatewayContext,
    listener: Listener,
    recheck: Callable[[], Awaitable[int | None]],
) -> None:
    closed = asyncio.ensure_future(websocket.receive())
    ended = asyncio.ensure_future(listener.ended.wait())
    overflowed = asyncio.ensure_future(listener.overflowed.wait())
    try:
        while True:
            get = asyncio.ensure_future(listener.messages.get())
            done, _ = await asyncio.wait(
                [get, closed, ended, overflowed],
                timeout=_RECHECK_S,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if get not in done:
                get.cancel()
            if closed in done:
                if closed.result()["type"] == "websocket.disconnect":
                    return
                # The feed is one-way: what a client sends is read and dropped.
                closed = asyncio.ensure_future(websocket.receive())
            if ended in done:
                await websocket.close(CLOSE_SESSION_ENDED)
                return
            if overflowed in done:
                await websocket.close(CLOSE_TOO_SLOW)
                return
            if get in done:
                await websocket.send_text(get.result().decode())
                while not listener.messages.empty():
                    await websocket.send_text(listener.messages.get_nowait().decode())
            elif not done:  # a quiet minute: is the caller still allowed?
                code = await recheck()
                if code is not None:
                    await websocket.close(code)
                    return
    except WebSocketDisconnect:
        return
    finally:
        for task in (closed, ended, overflowed):
            task.cancel()
        ctx.feed.leave(listener)


async def _open(websocket: WebSocket, *, admin: bool) -> None:
    ctx = context_of(websocket)  # type: ignore[arg-type]  # an HTTPConnection like a Request
    if not _origin_trusted(websocket, ctx):
        await _refuse(websocket, ApiError(403, "INVALID_ORIGIN", "Invalid origin"))
        return
    request = as_request(websocket)
    try:
        if admin:
            found = event_filter(websocket.query_params)
            current = await require_audit_reader(request, ctx)
        else:
            current = await require_session(request, ctx)
            found = audit_pb2.EventFilter(user_id=current.user.id, types=security_activity_types())
    except ApiError as error:
        await _refuse(websocket, error)
        return
    listener = ctx.feed.listen(_matches(found), _ends(current))
    if listener is None:
        await _refuse(websocket, ApiError(503, "TOO_MANY_FEEDS", "Too many open feeds, try later"))
        return
    await ctx.feed.ready(_READY_WAIT_S)
    await websocket.accept()
    await _serve(websocket, ctx, listener, lambda: _still_allowed(request, ctx, admin))


@router.websocket("/admin/audit/feed")
async def admin_feed(websocket: WebSocket) -> None:
    await _open(websocket, admin=True)


@router.websocket("/me/security-activity/feed")
async def own_feed(websocket: WebSocket) -> None:
    await _open(websocket, admin=False)
