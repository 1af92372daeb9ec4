"""The bearer and jwt plugins through the gateway (api.md §3, §9.10, §9.11), and the session
service's TokenService for other backends (proto/authmesh/session/v1/tokens.proto)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import grpc
import httpx
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from authmesh.session.v1 import tokens_pb2, tokens_pb2_grpc
from authmesh_kit.crypto.key_ring import KeyRing, new_key_ring_spec
from authmesh_kit.db.engine import asyncpg_url
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer
from authmesh_kit.stack.supervisor import Stack
from authmesh_session.domain.signing_keys import new_signing_key
from authmesh_session.store.signing_keys import PostgresSigningKeyStore
from authmesh_session.store.tables import metadata, signing_keys
from tests.conftest import browser, next_client_ip, unique_email

PASSWORD = "correct horse battery"
CREATORS = 6  # concurrent first uses of the signing-key store


async def sign_up(client: httpx.AsyncClient, name: str = "Ada") -> httpx.Response:
    response = await client.post(
        "/api/auth/sign-up/email",
        json={"name": name, "email": unique_email(), "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    return response


def forged(signed: str) -> str:
    """`signed` with one signature character changed where every bit counts."""
    index = len(signed) - 10
    return signed[:index] + ("A" if signed[index] != "A" else "B") + signed[index + 1 :]


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def jwks(client: httpx.AsyncClient) -> jwt.PyJWKSet:
    response = await client.get("/api/auth/jwks")
    assert response.status_code == 200, response.text
    return jwt.PyJWKSet.from_dict(response.json())


async def verified_claims(client: httpx.AsyncClient, token: str, stack: Stack) -> dict[str, Any]:
    """The claims of an Authmesh JWT, verified against the gateway's JWKS as a backend would."""
    kid = jwt.get_unverified_header(token)["kid"]
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(stack.plan.base_url))
    claims: dict[str, Any] = jwt.decode(
        token,
        (await jwks(client))[kid],
        algorithms=["EdDSA"],
        audience=origin,
        issuer=origin,
        options={"require": ["iat", "exp", "sub", "iss", "aud"]},
    )
    return claims


async def test_sign_up_and_sign_in_hand_out_the_bearer_token(stack: Stack) -> None:
    async with browser(stack) as client:
        email = unique_email()
        signed_up = await client.post(
            "/api/auth/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
        )
        signed_in = await client.post(
            "/api/auth/sign-in/email", json={"email": email, "password": PASSWORD}
        )
    for response in (signed_up, signed_in):
        assert response.status_code == 200, response.text
        token = response.json()["token"]
        set_auth_token = response.headers["set-auth-token"]
        assert set_auth_token.startswith(f"{token}.") and len(set_auth_token) == 32 + 1 + 44
        assert "set-auth-token" in response.headers["access-control-expose-headers"]


async def test_a_bearer_token_stands_for_the_cookie(stack: Stack) -> None:
    async with browser(stack) as client:
        response = await sign_up(client)
    token, signed = response.json()["token"], response.headers["set-auth-token"]
    user_id = response.json()["user"]["id"]
    async with browser(stack) as bare:  # no cookie jar content: the header alone
        for credential in (signed, quote(signed, safe=""), token):
            session = await bare.get("/api/auth/get-session", headers=bearer(credential))
            assert session.status_code == 200
            assert session.json()["user"]["id"] == user_id, credential
        lower = await bare.get(
            "/api/auth/get-session", headers={"authorization": f"bearer {token}"}
        )
        assert lower.json()["user"]["id"] == user_id
        bare.cookies.clear()  # get-session wrote a cookie cache; a bearer-only app keeps none
        jwt_answer = await bare.get("/api/auth/token", headers=bearer(signed))
        assert jwt_answer.status_code == 200
        # As Better-Auth's session middleware does for a request without a cookie cache.
        assert any(
            line.startswith("better-auth.session_data=")
            for line in jwt_answer.headers.get_list("set-cookie")
        )


async def test_a_bearer_token_wins_over_the_cookie_and_a_bad_one_is_ignored(stack: Stack) -> None:
    async with browser(stack) as first, browser(stack) as second:
        ada = (await sign_up(first, "Ada")).json()
        bob = await sign_up(second, "Bob")
        bob_signed = bob.headers["set-auth-token"]
        session = await first.get("/api/auth/get-session", headers=bearer(bob_signed))
        assert session.json()["user"]["id"] == bob.json()["user"]["id"]
        for unusable in (f"Bearer {forged(bob_signed)}", "Basic abc", "Bearer", "Bearer a.b.c"):
            fallback = await first.get("/api/auth/get-session", headers={"Authorization": unusable})
            assert fallback.json()["user"]["id"] == ada["user"]["id"], unusable


async def test_a_forged_or_unknown_bearer_is_no_session(stack: Stack) -> None:
    async with browser(stack) as client:
        response = await sign_up(client)
    signed = response.headers["set-auth-token"]
    async with browser(stack) as bare:
        for credential in (forged(signed), "x" * 32, "x" * 200, f"{signed}%zz", "a b"):
            session = await bare.get("/api/auth/get-session", headers=bearer(credential))
            assert session.status_code == 200 and session.json() is None, credential
            token = await bare.get("/api/auth/token", headers=bearer(credential))
            assert token.status_code == 401, credential
            assert token.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}


async def test_sign_out_with_a_bearer_token_ends_its_session(stack: Stack) -> None:
    async with browser(stack) as client:
        signed = (await sign_up(client)).headers["set-auth-token"]
    headers = {**bearer(signed), "X-Forwarded-For": next_client_ip()}
    # No cookie, so no Origin is needed: Better-Auth checks it only for cookie requests.
    async with httpx.AsyncClient(base_url=stack.gateway_url, headers=headers) as app:
        assert (await app.post("/api/auth/sign-out", json={})).json() == {"success": True}
        assert (await app.get("/api/auth/get-session")).json() is None
        assert (await app.get("/api/auth/token")).status_code == 401


async def test_get_session_carries_a_jwt_of_the_user(stack: Stack) -> None:
    async with browser(stack) as client:
        await sign_up(client)
        session = await client.get("/api/auth/get-session")
        assert session.status_code == 200
        assert "set-auth-jwt" in session.headers["access-control-expose-headers"]
        token = session.headers["set-auth-jwt"]
        assert jwt.get_unverified_header(token) == {
            "alg": "EdDSA",
            "kid": jwt.get_unverified_header(token)["kid"],
        }
        claims = await verified_claims(client, token, stack)
    user = session.json()["user"]
    assert list(claims) == ["iat", *user, "sub", "exp", "iss", "aud"]
    assert {key: claims[key] for key in user} == user
    assert claims["sub"] == user["id"]
    assert claims["exp"] - claims["iat"] == 900


async def test_the_jwt_is_reused_until_the_user_changes(stack: Stack) -> None:
    async with browser(stack) as client:
        await sign_up(client, "Ada")
        first = (await client.get("/api/auth/get-session")).headers["set-auth-jwt"]
        again = (await client.get("/api/auth/get-session")).headers["set-auth-jwt"]
        assert again == first
        renamed = await client.post("/api/auth/update-user", json={"name": "Ada Lovelace"})
        assert renamed.status_code == 200, renamed.text
        fresh = await client.get("/api/auth/get-session", params={"disableCookieCache": "true"})
        claims = await verified_claims(client, fresh.headers["set-auth-jwt"], stack)
    assert claims["name"] == "Ada Lovelace"


async def test_token_answers_a_fresh_jwt_and_needs_a_session(stack: Stack) -> None:
    async with browser(stack) as client:
        assert (await client.get("/api/auth/token")).json() == {
            "message": "Unauthorized",
            "code": "UNAUTHORIZED",
        }
        user = (await sign_up(client)).json()["user"]
        response = await client.get("/api/auth/token")
        assert response.status_code == 200
        assert list(response.json()) == ["token"]
        claims = await verified_claims(client, response.json()["token"], stack)
        assert claims["sub"] == user["id"] and claims["email"] == user["email"]
        await client.post("/api/auth/sign-out")
        ended = await client.get("/api/auth/get-session")
        assert "set-auth-jwt" not in ended.headers
        assert (await client.get("/api/auth/token")).status_code == 401


async def test_jwks_lists_ed25519_keys_in_better_auths_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/jwks")
    assert response.status_code == 200
    [*_, key] = response.json()["keys"]
    assert list(response.json()) == ["keys"]
    assert list(key) == ["alg", "crv", "x", "kty", "kid"]
    assert (key["alg"], key["crv"], key["kty"]) == ("EdDSA", "Ed25519", "OKP")
    assert "d" not in key


def metadata_for(stack: Stack, caller: str) -> tuple[tuple[str, str], ...]:
    token = ServiceTokenIssuer(caller, stack.plan.key_pairs[caller][0]).token_for("session")
    return (("authorization", f"Bearer {token}"),)


async def test_backends_validate_sessions_and_read_the_jwks_over_grpc(stack: Stack) -> None:
    async with browser(stack) as client:
        response = await sign_up(client)
        published = (await client.get("/api/auth/jwks")).json()["keys"]
    token, user_id = response.json()["token"], response.json()["user"]["id"]
    async with grpc.aio.insecure_channel(stack.addr("session")) as channel:
        stub = tokens_pb2_grpc.TokenServiceStub(channel)
        org = metadata_for(stack, "org")
        valid = await stub.ValidateSession(
            tokens_pb2.ValidateSessionRequest(token=token), metadata=org, timeout=5
        )
        assert valid.session.user_id == user_id and valid.session.token == ""
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await stub.ValidateSession(
                tokens_pb2.ValidateSessionRequest(token="x" * 32), metadata=org, timeout=5
            )
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
        keys = await stub.GetJwks(tokens_pb2.GetJwksRequest(), metadata=org, timeout=5)
        assert [key.kid for key in keys.keys] == [key["kid"] for key in published]
        # Only the gateway gets JWTs signed, and nobody without a service token.
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.IssueToken(
                tokens_pb2.IssueTokenRequest(
                    session_token=token, user_json=f'{{"id":"{user_id}"}}'
                ),
                metadata=org,
                timeout=5,
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await stub.GetJwks(tokens_pb2.GetJwksRequest(), timeout=5)
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_signing_keys_are_sealed_at_rest(stack: Stack, client: httpx.AsyncClient) -> None:
    await client.get("/api/auth/jwks")  # creates the first key if no test did yet
    engine = create_async_engine(asyncpg_url(stack.database_url("session")))
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT * FROM session.signing_keys"))).mappings().all()
    finally:
        await engine.dispose()
    assert rows
    for row in rows:
        assert '"d"' not in row["public_key"]
        assert len(row["private_key_ciphertext"]) == 32 + 16  # Ed25519 seed + GCM tag
        assert row["expires_at"] > row["created_at"]


async def test_concurrent_first_uses_create_one_key(stack: Stack) -> None:
    """The Postgres store's promise: of concurrent creators, at most one stores its key. Run
    in a scratch schema, so that the stack's own keys stay as they are."""
    # Few connections: the Postgres server is shared with every other test stack.
    engine = create_async_engine(
        asyncpg_url(stack.admin_database_url), pool_size=CREATORS, max_overflow=0
    )
    scratch = engine.execution_options(schema_translate_map={"session": "h6_signing_keys"})
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS h6_signing_keys CASCADE"))
            await conn.execute(text("CREATE SCHEMA h6_signing_keys"))
        async with scratch.begin() as conn:
            await conn.run_sync(metadata.create_all, tables=[signing_keys])
        await _warm_pool(scratch)  # connecting takes longer than racing: connect first
        store = PostgresSigningKeyStore(scratch)
        key_ring = KeyRing.from_spec(new_key_ring_spec())
        now = datetime.now(UTC)
        candidates = [new_signing_key(key_ring, now, timedelta(days=1)) for _ in range(CREATORS)]
        stored = await asyncio.gather(
            *(
                store.current_or_add(now, candidate, retired_before=now - timedelta(days=1))
                for candidate in candidates
            )
        )
        assert len({key.id for key in stored}) == 1
        assert [key.id for key in await store.published_since(now)] == [stored[0].id]
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS h6_signing_keys CASCADE"))
        await engine.dispose()


async def _warm_pool(engine: AsyncEngine) -> None:
    async def hold(ready: asyncio.Barrier) -> None:
        async with engine.connect():
            await ready.wait()

    ready = asyncio.Barrier(CREATORS)
    await asyncio.gather(*(hold(ready) for _ in range(CREATORS)))
