"""A resource server that trusts Authmesh JWTs: an API of your own that checks the JWT from
Authmesh's `GET /api/auth/token` (or the `set-auth-jwt` header of get-session) locally,
against Authmesh's public keys, without calling Authmesh on each request.

    AUTHMESH_URL=http://localhost:8000 python examples/resource_server.py --port 8100
    curl -H "Authorization: Bearer $JWT" http://localhost:8100/me

What a token must pass (RFC 7519 §7.2, RFC 8725 §3):
- its algorithm is EdDSA, the only one allowed: `none` and HMAC (an HS256 token "signed" with
  the public key as its secret) are refused before any key is used;
- its key is looked up by `kid` in Authmesh's JWKS and nowhere else: `jwk`, `jku` and `x5u`
  headers are ignored, so a token cannot bring its own key;
- signature, `exp` and `iat` (with a little leeway for clock skew), `iss` and `aud` (by
  default the origin of AUTHMESH_URL, Authmesh's own default), and a `sub`.

The JWKS is fetched over HTTP and cached for an hour. A token whose `kid` is unknown makes it
refetch, since keys rotate, but at most once every 30 s: made-up kids cannot turn the server
into a loop of JWKS requests. A JWT lives 15 minutes and cannot be revoked; an API that must
see a sign-out at once asks the session service instead (TokenService.ValidateSession).
"""

import argparse
import asyncio
import math
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ALGORITHMS = ["EdDSA"]
LEEWAY_S = 30
JWKS_MAX_AGE_S = 3600.0
JWKS_MIN_REFETCH_S = 30.0


class Jwks:
    """Authmesh's public keys by `kid`, fetched from `url` and cached."""

    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        *,
        max_age_s: float = JWKS_MAX_AGE_S,
        min_refetch_s: float = JWKS_MIN_REFETCH_S,
    ) -> None:
        self._url = url
        self._http = http
        self._max_age_s = max_age_s
        self._min_refetch_s = min_refetch_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -math.inf
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        age = time.monotonic() - self._fetched_at
        if age > self._max_age_s or (kid not in self._keys and age > self._min_refetch_s):
            await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at <= self._min_refetch_s:
                return  # another request refreshed while this one waited
            self._fetched_at = time.monotonic()  # a failed fetch also waits its turn
            try:
                response = await self._http.get(self._url)
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError):
                return  # Authmesh unreachable: the keys already known still verify
            self._keys = _usable_keys(document)


def _usable_keys(document: Any) -> dict[str, jwt.PyJWK]:
    """Ed25519 signing keys only, whatever else the document holds."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []) if isinstance(document, dict) else []:
        if not isinstance(entry, dict) or (entry.get("kty"), entry.get("crv")) != (
            "OKP",
            "Ed25519",
        ):
            continue
        if entry.get("alg", "EdDSA") != "EdDSA" or not isinstance(entry.get("kid"), str):
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK.from_dict(entry, algorithm="EdDSA")
        except jwt.PyJWTError:
            continue
    return keys


class InvalidTokenError(Exception):
    pass


async def verify(token: str, jwks: Jwks, *, issuer: str, audience: str) -> dict[str, Any]:
    """The claims of a valid Authmesh JWT; InvalidTokenError for anything else."""
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        # Checked before any key is fetched; jwt.decode checks the allow-list again.
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
            raise InvalidTokenError("algorithm or key id not acceptable")
        key = await jwks.key(kid)
        if key is None:
            raise InvalidTokenError("unknown key id")
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            issuer=issuer,
            audience=audience,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidTokenError(str(error)) from None
    return claims


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _unauthorized(reason: str) -> JSONResponse:
    # RFC 6750 §3: the challenge says why, the body stays terse.
    challenge = f'Bearer error="invalid_token", error_description="{reason}"'
    return JSONResponse({"error": "invalid_token"}, 401, {"WWW-Authenticate": challenge})


def create_app(authmesh_url: str, *, issuer: str = "", audience: str = "") -> FastAPI:
    issuer = issuer or _origin(authmesh_url)
    audience = audience or _origin(authmesh_url)
    jwks_url = f"{authmesh_url.rstrip('/')}/api/auth/jwks"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=5) as http:
            app.state.jwks = Jwks(jwks_url, http)
            yield

    app = FastAPI(title="Authmesh resource server example", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/me", response_model=None)
    async def me(request: Request) -> JSONResponse | dict[str, Any]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _unauthorized("a Bearer token is required")
        try:
            claims = await verify(
                token.strip(), request.app.state.jwks, issuer=issuer, audience=audience
            )
        except InvalidTokenError:
            return _unauthorized("the token is not valid")
        return {"sub": claims["sub"], "email": claims.get("email"), "name": claims.get("name")}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    app = create_app(
        os.environ["AUTHMESH_URL"],
        issuer=os.environ.get("AUTHMESH_JWT_ISSUER", ""),
        audience=os.environ.get("AUTHMESH_JWT_AUDIENCE", ""),
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
