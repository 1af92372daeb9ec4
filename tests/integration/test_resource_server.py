"""examples/resource_server.py, run as its own process against the test stack: it accepts a
real Authmesh JWT and refuses every classic forgery (RFC 8725 §2; SECURITY-REQUIREMENTS 9.1,
9.2): `alg: none`, HMAC with the public key as secret, a key the token brings itself, an
unknown `kid`, a wrong audience, an expired or tampered token."""

import asyncio
import base64
import hashlib
import hmac
import importlib.util
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.db.engine import asyncpg_url
from authmesh_kit.stack.plan import free_ports
from authmesh_kit.stack.supervisor import Stack
from authmesh_session.domain.key_set import CurrentKey
from authmesh_session.domain.signing_keys import open_private_key
from authmesh_session.store.signing_keys import key_from_row
from authmesh_session.store.tables import signing_keys
from tests.conftest import browser, unique_email
from tests.waiting import eventually

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "resource_server.py"
OTHER_AUDIENCE = "https://billing.example"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    decode: Callable[[str], Any] = lambda part: json.loads(  # noqa: E731
        base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    )
    return decode(header), decode(payload)


@asynccontextmanager
async def resource_server(stack: Stack, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    """The example as its own process, on a free port, until the block ends."""
    port = free_ports(1)[0]
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, stopped in `finally`
        [sys.executable, str(EXAMPLE), "--port", str(port)],
        env={"PATH": "/usr/bin:/bin", "AUTHMESH_URL": stack.gateway_url, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as api:

            async def health() -> bool:
                try:
                    return (await api.get("/health")).status_code == 200
                except httpx.TransportError:
                    return False

            assert await eventually(health, bool, timeout_s=20), "the example did not start"
            yield api
    finally:
        process.terminate()
        process.wait(timeout=10)


async def real_jwt(stack: Stack) -> tuple[str, dict[str, Any]]:
    async with browser(stack) as client:
        email = unique_email()
        signed_up = await client.post(
            "/api/auth/sign-up/email",
            json={"name": "Ada", "email": email, "password": "correct horse battery"},
        )
        assert signed_up.status_code == 200, signed_up.text
        response = await client.get("/api/auth/token")
        assert response.status_code == 200, response.text
        jwks = (await client.get("/api/auth/jwks")).json()
    return response.json()["token"], jwks


async def authmesh_key(stack: Stack, kid: str) -> CurrentKey:
    """Authmesh's own private key, opened as the session service does: lets the test sign
    tokens the server must refuse for their claims alone (expired, other audience)."""
    engine = create_async_engine(asyncpg_url(stack.database_url("session")))
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(select(signing_keys).where(signing_keys.c.id == kid))).one()
    finally:
        await engine.dispose()
    key = key_from_row(row)
    key_ring = KeyRing.from_spec(stack.plan.spec.encryption_keys)
    return CurrentKey(key.id, open_private_key(key_ring, key), key.expires_at)


def forgeries(token: str, jwks: dict[str, Any], real_key: CurrentKey) -> tuple[str, dict[str, str]]:
    """A token signed anew with Authmesh's key, which must pass (so that each forgery fails for
    its own flaw alone), and the forgeries by name."""
    header, claims = _parts(token)
    body = _segment(claims)
    kid = header["kid"]
    [public] = [key for key in jwks["keys"] if key["kid"] == kid]
    attacker = Ed25519PrivateKey.generate()
    attacker_jwk = OKPAlgorithm.to_jwk(attacker.public_key(), as_dict=True)

    def hs256(secret: bytes) -> str:
        signing_input = f"{_segment({'alg': 'HS256', 'kid': kid})}.{body}"
        mac = hmac.digest(secret, signing_input.encode(), hashlib.sha256)
        return f"{signing_input}.{_b64(mac)}"

    def real_signed(**changes: Any) -> str:
        return jwt.encode(
            {**claims, **changes},
            real_key.private_key,
            algorithm="EdDSA",
            headers={"kid": kid, "typ": None},
        )

    now = int(time.time())
    tampered = f"{_segment(header)}.{_segment({**claims, 'sub': 'someone-else'})}"
    return real_signed(), {
        "alg none": f"{_segment({'alg': 'none', 'kid': kid})}.{body}.",
        "alg None": f"{_segment({'alg': 'None', 'kid': kid})}.{body}.",
        "HS256 keyed with the JWK's x": hs256(public["x"].encode()),
        "HS256 keyed with the JWK JSON": hs256(json.dumps(public).encode()),
        "HS256 keyed with the raw public key": hs256(base64.urlsafe_b64decode(public["x"] + "=")),
        "unknown kid": jwt.encode(claims, attacker, algorithm="EdDSA", headers={"kid": "x1"}),
        "attacker key under a real kid": jwt.encode(
            claims, attacker, algorithm="EdDSA", headers={"kid": kid}
        ),
        "embedded jwk": jwt.encode(
            claims, attacker, algorithm="EdDSA", headers={"kid": "x2", "jwk": attacker_jwk}
        ),
        "jku to elsewhere": jwt.encode(
            claims,
            attacker,
            algorithm="EdDSA",
            headers={"kid": "x3", "jku": "http://127.0.0.1:9/jwks"},
        ),
        "tampered payload": f"{tampered}.{token.split('.')[2]}",
        "wrong audience": real_signed(aud=OTHER_AUDIENCE),
        "wrong issuer": real_signed(iss=OTHER_AUDIENCE),
        "expired": real_signed(iat=now - 3600, exp=now - 1800),
        "no kid": jwt.encode(claims, real_key.private_key, algorithm="EdDSA"),
        "not a jwt": "not-a-jwt",
    }


async def test_the_example_accepts_authmesh_jwts_and_refuses_forgeries(stack: Stack) -> None:
    token, jwks = await real_jwt(stack)
    real_key = await authmesh_key(stack, _parts(token)[0]["kid"])
    async with resource_server(stack) as api:
        accepted = await api.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["sub"] == _parts(token)[1]["sub"]
        assert accepted.json()["email"] == _parts(token)[1]["email"]
        control, forged_tokens = forgeries(token, jwks, real_key)
        resigned = await api.get("/me", headers={"Authorization": f"Bearer {control}"})
        assert resigned.status_code == 200, resigned.text
        for name, forged in forged_tokens.items():
            refused = await api.get("/me", headers={"Authorization": f"Bearer {forged}"})
            assert refused.status_code == 401, name
            assert refused.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        assert (await api.get("/me")).status_code == 401


async def test_a_server_for_another_audience_refuses_authmesh_jwts(stack: Stack) -> None:
    token, _ = await real_jwt(stack)
    async with resource_server(stack, AUTHMESH_JWT_AUDIENCE=OTHER_AUDIENCE) as api:
        refused = await api.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401


def _load_example() -> Any:
    spec = importlib.util.spec_from_file_location("resource_server_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_unknown_kids_refetch_the_jwks_at_most_once_per_interval() -> None:
    example = _load_example()
    rotated = Ed25519PrivateKey.generate()
    entry = OKPAlgorithm.to_jwk(rotated.public_key(), as_dict=True)
    served: list[dict[str, Any]] = [{"keys": []}]
    fetches = 0

    def jwks_endpoint(request: httpx.Request) -> httpx.Response:
        nonlocal fetches
        fetches += 1
        return httpx.Response(200, json=served[-1])

    async with httpx.AsyncClient(transport=httpx.MockTransport(jwks_endpoint)) as http:
        keys = example.Jwks("http://authmesh.test/api/auth/jwks", http, min_refetch_s=0.5)
        results = await asyncio.gather(*(keys.key(f"made-up-{n}") for n in range(20)))
        assert results == [None] * 20
        assert fetches == 1
        served.append({"keys": [{"alg": "EdDSA", **entry, "kid": "rotated"}]})
        assert await keys.key("rotated") is None  # too soon after the last fetch
        assert fetches == 1
        await asyncio.sleep(0.6)
        assert await keys.key("rotated") is not None  # a rotated key is found
        assert await keys.key("rotated") is not None
        assert fetches == 2


@pytest.mark.parametrize(
    "entry",
    [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "k"},  # a symmetric key would allow HMAC tokens
        {"kty": "OKP", "crv": "X25519", "x": "AAAA", "kid": "k"},
        {"kty": "OKP", "crv": "Ed25519", "x": "@@@", "kid": "k"},
        {"kty": "OKP", "crv": "Ed25519", "alg": "HS256", "x": "AAAA", "kid": "k"},
    ],
)
def test_only_ed25519_keys_are_taken_from_the_jwks(entry: dict[str, Any]) -> None:
    assert _load_example()._usable_keys({"keys": [entry]}) == {}
