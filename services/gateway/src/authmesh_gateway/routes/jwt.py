"""The jwt plugin's endpoints (api.md §9.11): GET /token and GET /jwks. The session service
owns the keys and signs; the `set-auth-jwt` header of get-session is in sessions/jwts.py."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.session.v1 import tokens_pb2
from authmesh_gateway.context import context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import json_response
from authmesh_gateway.serialize import user_json
from authmesh_gateway.sessions.cookies import renew_cookie_cache, session_answer
from authmesh_gateway.sessions.current import require_session
from authmesh_gateway.sessions.jwts import issue_jwt
from authmesh_gateway.wire.errors import UNAUTHORIZED
from authmesh_kit.errors import DomainError, ErrorKind

router = APIRouter()


def jwk_json(key: tokens_pb2.Jwk) -> dict[str, str]:
    """A JWKS entry in Better-Auth's key order."""
    return {"alg": key.alg, "crv": key.crv, "x": key.x, "kty": key.kty, "kid": key.kid}


@router.get("/token")
async def token(request: Request) -> Response:
    ctx = context_of(request)
    current = await require_session(request, ctx)
    try:
        issued = await issue_jwt(ctx, current.token, user_json(current.user))
    except DomainError as error:
        if error.kind is ErrorKind.NOT_FOUND:  # the session ended since it was read
            raise UNAUTHORIZED.error() from None
        raise api_error(error) from None
    response = json_response({"token": issued.token})
    # What Better-Auth's session middleware writes on the way (a missing cookie cache).
    renew_cookie_cache(
        response,
        ctx,
        request,
        token=current.token,
        session_and_user=session_answer(current.session, current.user),
        dont_remember=current.session.dont_remember,
        authoritative=False,
    )
    return response


@router.get("/jwks")
async def jwks(request: Request) -> Response:
    try:
        keys = await context_of(request).tokens.jwks()
    except DomainError as error:
        raise api_error(error) from None
    return json_response({"keys": [jwk_json(key) for key in keys]})
