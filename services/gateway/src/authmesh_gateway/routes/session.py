"""GET /get-session and POST /sign-out: the hot path and its end (DESIGN §2)."""

import hashlib
from datetime import UTC

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import (
    actor_of,
    error_response,
    json_bytes,
    json_response,
    read_body,
    session_token,
)
from authmesh_gateway.serialize import session_json, user_json
from authmesh_gateway.sessions.cache import CachedSession
from authmesh_gateway.sessions.cookies import clear_session_cookies, set_session_cookies
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.schemas import SIGN_OUT
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError, ErrorKind

router = APIRouter()

_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
_TRUE = ("true", "1")
_NO_QUERY: dict[str, str] = {}


@router.get("/get-session")
async def get_session(request: Request) -> Response:
    ctx = context_of(request)
    token = session_token(request, ctx)
    if token is None:
        return Response(b"null", 200, _NO_STORE, media_type="application/json")
    hashed = hashlib.sha256(token.encode()).digest()
    # Most calls carry no query string: skip parsing one.
    query = request.query_params if request.scope["query_string"] else _NO_QUERY
    bypass_cache = query.get("disableCookieCache", "").lower() in _TRUE
    if not bypass_cache:
        cached = ctx.cache.get(hashed)
        if cached is not None:
            return Response(cached.body, 200, _NO_STORE, media_type="application/json")
    generation = ctx.cache.generation
    try:
        found = await ctx.session.get(
            token, disable_refresh=query.get("disableRefresh", "").lower() in _TRUE
        )
        user = await ctx.identity.get_user(found.session.user_id)
    except DomainError as error:
        if error.kind is ErrorKind.NOT_FOUND:
            response = Response(b"null", 200, _NO_STORE, media_type="application/json")
            clear_session_cookies(response, ctx)
            return response
        return error_response(api_error(error))
    body = json_bytes({"session": session_json(found.session), "user": user_json(user)})
    expires_at = found.session.expires_at.ToDatetime(tzinfo=UTC).timestamp()
    ctx.cache.put(
        hashed, CachedSession(user_id=user.id, expires_at=expires_at, body=body), generation
    )
    response = Response(body, 200, _NO_STORE, media_type="application/json")
    if found.refreshed:
        set_session_cookies(response, ctx, token, dont_remember=found.session.dont_remember)
    return response


@router.post("/get-session")
async def get_session_post() -> Response:
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
    clear_session_cookies(response, ctx)
    return response


@router.get("/ok")
async def ok() -> Response:
    return json_response({"ok": True})
