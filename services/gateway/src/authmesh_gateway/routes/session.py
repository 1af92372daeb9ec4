"""Sessions (api.md §4, §9.1): GET /get-session, the hot path (DESIGN §2), and POST /sign-out,
GET /list-sessions, POST /revoke-session, /revoke-sessions, /revoke-other-sessions and
/update-session.

Revocations go through the session service, which publishes one auth.session.session.revoked
per session so that every gateway replica evicts it; this replica evicts at once. Listings
never hand out another session's token: in its place each other session shows its id, which
revoke-session takes as well as a token, always within the caller's own sessions.
"""

import hashlib
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import (
    actor_of,
    check_router_origin,
    error_response,
    json_response,
    read_body,
    request_cookies,
    session_token,
)
from authmesh_gateway.serialize import listed_session_json
from authmesh_gateway.sessions.cache import CachedSession
from authmesh_gateway.sessions.cookies import (
    CookieCacheState,
    clear_session_cookies,
    cookie_cache_state,
    expire_cookie_cache,
    renew_cookie_cache,
    session_answer,
    set_session_cookies,
)
from authmesh_gateway.sessions.current import (
    CurrentSession,
    require_fresh_session,
    require_session,
)
from authmesh_gateway.sessions.jwts import set_auth_jwt
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import truthy
from authmesh_gateway.wire.schemas import (
    NOT_UPDATABLE_SESSION_FIELDS,
    REVOKE_SESSION,
    SIGN_OUT,
    UPDATE_SESSION,
)
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError, ErrorKind

router = APIRouter()

_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
_EMPTY_QUERY = QueryParams()
# No session token or id is longer; the session service would refuse one as malformed.
_MAX_SESSION_REFERENCE = 128


def _query_flag(query: QueryParams, key: str) -> bool:
    """zod's `z.coerce.boolean()` on a query value: `Boolean(value)`, so any non-empty string
    (`"false"` too) and any repeated key are true."""
    values = query.getlist(key)
    return len(values) > 1 or any(values)


def _null(request: Request, ctx: GatewayContext) -> Response:
    response = Response(b"null", 200, _NO_STORE, media_type="application/json")
    if ctx.settings.cookie_cache_max_age_s == 0:
        expire_cookie_cache(response, ctx, request_cookies(request))
    return response


@router.get("/get-session")
async def get_session(request: Request) -> Response:
    ctx = context_of(request)
    token = session_token(request, ctx)
    if token is None:
        return _null(request, ctx)
    hashed = hashlib.sha256(token.encode()).digest()
    # Most calls carry no query string: skip parsing one.
    query = request.query_params if request.scope["query_string"] else _EMPTY_QUERY
    # disableCookieCache bypasses this replica's cache as well as the cookie.
    authoritative = _query_flag(query, "disableCookieCache")
    cached = None if authoritative else ctx.cache.get(hashed)
    if cached is not None:
        body, dont_remember = cached.body, cached.dont_remember
    else:
        generation = ctx.cache.generation
        try:
            found = await ctx.session.get(
                token, disable_refresh=_query_flag(query, "disableRefresh")
            )
            user = await ctx.identity.get_user(found.session.user_id)
        except DomainError as error:
            if error.kind is ErrorKind.NOT_FOUND:
                response = Response(b"null", 200, _NO_STORE, media_type="application/json")
                clear_session_cookies(response, ctx, request)
                return response
            return error_response(api_error(error))
        body = session_answer(found.session, user)
        dont_remember = found.session.dont_remember
        expires_at = found.session.expires_at.ToDatetime(tzinfo=UTC).timestamp()
        entry = CachedSession(
            user_id=user.id, expires_at=expires_at, body=body, dont_remember=dont_remember
        )
        ctx.cache.put(hashed, entry, generation)
        if found.refreshed:
            response = Response(body, 200, _NO_STORE, media_type="application/json")
            if ctx.settings.cookie_cache_max_age_s == 0:
                expire_cookie_cache(response, ctx, request_cookies(request))
            elif not authoritative and _unusable_cookie_cache(request, ctx, token):
                response.headers.append(
                    "set-cookie", ctx.cookies.delete_line(ctx.cookies.session_data)
                )
            set_session_cookies(response, ctx, request=request, session=found.session, user=user)
            await set_auth_jwt(response, ctx, token, body)
            return response
    response = Response(body, 200, _NO_STORE, media_type="application/json")
    renew_cookie_cache(
        response,
        ctx,
        request,
        token=token,
        session_and_user=body,
        dont_remember=dont_remember,
        authoritative=authoritative,
    )
    await set_auth_jwt(response, ctx, token, body)
    return response


def _unusable_cookie_cache(request: Request, ctx: GatewayContext, token: str) -> bool:
    state = cookie_cache_state(ctx, request_cookies(request), token)
    return state is CookieCacheState.UNUSABLE


@router.post("/get-session")
async def get_session_post(request: Request) -> Response:
    # The peer reads no body here (no 415, no invalid JSON), but its router's origin check
    # still runs first: a session cookie without a trusted Origin is a 403, not this 405.
    check_router_origin(request, context_of(request))
    # Better-Auth's refusal carries the same no-store headers as its GET answers.
    response = error_response(ApiError.from_code(405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"))
    response.headers.update(_NO_STORE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    ctx = context_of(request)
    # Nothing in the body is used, but Better-Auth still reads and validates it: a bad one is
    # a 415 or 400 and signs nobody out.
    validate_body(await read_body(request, ctx), SIGN_OUT)
    token = session_token(request, ctx)
    if token is not None:
        ctx.cache.evict(hashlib.sha256(token.encode()).digest())
        try:
            await ctx.session.revoke(token, actor_of(request, ctx))
        except DomainError as error:
            return error_response(api_error(error))
    response = json_response({"success": True})
    clear_session_cookies(response, ctx, request)
    return response


def _renew_cookie_cache(
    response: Response,
    ctx: GatewayContext,
    request: Request,
    current: CurrentSession,
    *,
    authoritative: bool,
) -> None:
    """The cookie cache Better-Auth's session middleware writes on the way: every sensitive
    (authoritative) read writes one; a plain read only when the request's is not current."""
    renew_cookie_cache(
        response,
        ctx,
        request,
        token=current.token,
        session_and_user=session_answer(current.session, current.user),
        dont_remember=current.session.dont_remember,
        authoritative=authoritative,
    )


@router.get("/list-sessions")
async def list_sessions(request: Request) -> Response:
    ctx = context_of(request)
    current = await require_fresh_session(request, ctx)
    try:
        sessions = await ctx.session.list_user_sessions(current.user.id)
    except DomainError as error:
        raise api_error(error) from None
    # As Better-Auth's admin plugin does, sessions an admin opened as this user are not shown.
    response = json_response(
        [
            listed_session_json(session, current.token, current.session.id)
            for session in sessions
            if not session.impersonated_by
        ]
    )
    _renew_cookie_cache(response, ctx, request, current, authoritative=False)
    return response


@router.post("/revoke-session")
async def revoke_session(request: Request) -> Response:
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), REVOKE_SESSION)
    current = await require_session(request, ctx)
    reference: str = body["token"]
    # Another user's token or id, or none at all, revokes nothing and still answers success.
    if 0 < len(reference) <= _MAX_SESSION_REFERENCE:
        actor = actor_of(request, ctx)
        actor.user_id = current.user.id
        try:
            await ctx.session.revoke_user_session(current.user.id, reference, actor=actor)
        except DomainError as error:
            raise api_error(error) from None
        ctx.cache.evict_user(current.user.id)
    response = json_response({"status": True})
    if reference in (current.token, current.session.id):
        clear_session_cookies(response, ctx, request)
    else:
        _renew_cookie_cache(response, ctx, request, current, authoritative=True)
    return response


async def _revoke_user_sessions(
    request: Request, ctx: GatewayContext, current: CurrentSession, *, keep_current: bool
) -> None:
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    try:
        await ctx.session.revoke_user_sessions(
            current.user.id,
            reason="revoke-other-sessions" if keep_current else "revoke-sessions",
            actor=actor,
            except_token=current.token if keep_current else None,
        )
    except DomainError as error:
        raise api_error(error) from None
    ctx.cache.evict_user(current.user.id)


@router.post("/revoke-sessions")
async def revoke_sessions(request: Request) -> Response:
    ctx = context_of(request)
    await read_body(request, ctx)  # no fields, but a malformed body is still refused
    current = await require_session(request, ctx)
    await _revoke_user_sessions(request, ctx, current, keep_current=False)
    response = json_response({"status": True})
    clear_session_cookies(response, ctx, request)
    return response


@router.post("/revoke-other-sessions")
async def revoke_other_sessions(request: Request) -> Response:
    ctx = context_of(request)
    await read_body(request, ctx)  # no fields, but a malformed body is still refused
    current = await require_session(request, ctx)
    await _revoke_user_sessions(request, ctx, current, keep_current=True)
    response = json_response({"status": True})
    _renew_cookie_cache(response, ctx, request, current, authoritative=True)
    return response


@router.post("/update-session")
async def update_session(request: Request) -> Response:
    """Authmesh has no session field a client may set (Better-Auth's `session.additionalFields`
    with `input`), so every update is refused: a plugin field with FIELD_NOT_ALLOWED, the rest
    with "No fields to update", as the peer answers."""
    ctx = context_of(request)
    body: dict[str, Any] = validate_body(await read_body(request, ctx), UPDATE_SESSION)
    current = await require_session(request, ctx)
    refused = next((key for key in NOT_UPDATABLE_SESSION_FIELDS if truthy(body.get(key))), None)
    if refused is not None:
        # Not the catalogue's message: Better-Auth names the field.
        error = ApiError(400, "FIELD_NOT_ALLOWED", f"{refused} is not allowed to be set")
    else:
        error = ApiError(400, None, "No fields to update")  # message only, as Better-Auth
    response = error_response(error)
    _renew_cookie_cache(response, ctx, request, current, authoritative=False)
    return response


@router.get("/ok")
async def ok() -> Response:
    return json_response({"ok": True})
