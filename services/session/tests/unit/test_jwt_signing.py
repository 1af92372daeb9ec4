"""JWT signing keys and tokens: created on first use, rotated on schedule, published through
their grace period, sealed at rest; tokens shaped as Better-Auth's and bound to the session."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from authmesh_kit.crypto.key_ring import KeyRing, UndecryptableError, new_key_ring_spec
from authmesh_kit.errors import DomainError
from authmesh_session.domain.jwts import jwt_claims, sign_jwt, user_claims
from authmesh_session.domain.key_set import KeySet
from authmesh_session.domain.model import Session, SessionLifetimes, token_hash
from authmesh_session.domain.signing_keys import (
    JwtPolicy,
    SigningKey,
    new_signing_key,
    open_private_key,
)
from authmesh_session.domain.use_cases.issue_token import issue_token

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
POLICY = JwtPolicy(
    issuer="http://localhost:8000",
    audience="http://localhost:8000",
    expires_in=timedelta(minutes=15),
    rotation_interval=timedelta(days=1),
    grace_period=timedelta(hours=1),
)
KEY_RING = KeyRing.from_spec(new_key_ring_spec())


class FakeKeyStore:
    """The signing-key store's contract in memory (the Postgres store runs it in
    tests/integration/test_bearer_jwt.py)."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = []

    async def published_since(self, cutoff: datetime) -> list[SigningKey]:
        live = [key for key in self.keys if key.expires_at > cutoff]
        return sorted(live, key=lambda key: key.created_at, reverse=True)

    async def current_or_add(
        self, now: datetime, candidate: SigningKey, *, retired_before: datetime
    ) -> SigningKey:
        current = await self.published_since(now)
        if current:
            return current[0]
        self.keys = [key for key in self.keys if key.expires_at > retired_before]
        self.keys.append(candidate)
        return candidate


def _public_key(key: SigningKey) -> jwt.PyJWK:
    return jwt.PyJWK.from_dict(key.public_jwk())


async def test_the_first_key_is_created_on_first_use_and_then_reused() -> None:
    store = FakeKeyStore()
    keys = KeySet(store, KEY_RING, POLICY)
    assert store.keys == []
    first = await keys.current(NOW)
    again = await KeySet(store, KEY_RING, POLICY).current(NOW + timedelta(hours=23))
    assert first.id == again.id
    assert [key.id for key in store.keys] == [first.id]
    assert store.keys[0].expires_at == NOW + POLICY.rotation_interval


async def test_jwks_creates_the_first_key_when_there_is_none() -> None:
    store = FakeKeyStore()
    published = await KeySet(store, KEY_RING, POLICY).published(NOW)
    assert [key.id for key in published] == [store.keys[0].id]


async def test_keys_rotate_and_stay_published_through_their_grace_period() -> None:
    store = FakeKeyStore()
    keys = KeySet(store, KEY_RING, POLICY)
    old = await keys.current(NOW)
    rotated_at = NOW + POLICY.rotation_interval
    new = await keys.current(rotated_at)
    assert new.id != old.id
    published = await keys.published(rotated_at + POLICY.grace_period - timedelta(seconds=1))
    assert [key.id for key in published] == [new.id, old.id]
    # A token the old key signed just before it retired still verifies until it expires.
    assert POLICY.grace_period >= POLICY.expires_in
    gone = await keys.published(rotated_at + POLICY.grace_period)
    assert [key.id for key in gone] == [new.id]


async def test_retired_keys_past_their_grace_period_are_deleted_at_the_next_rotation() -> None:
    store = FakeKeyStore()
    keys = KeySet(store, KEY_RING, POLICY)
    first = await keys.current(NOW)
    await keys.current(NOW + POLICY.rotation_interval)
    await keys.current(NOW + 2 * POLICY.rotation_interval)
    assert first.id not in [key.id for key in store.keys]


def test_the_private_key_is_sealed_and_bound_to_its_key_id() -> None:
    key = new_signing_key(KEY_RING, NOW, POLICY.rotation_interval)
    raw = open_private_key(KEY_RING, key).private_bytes_raw()
    assert raw not in key.private_key.ciphertext
    assert json.loads(key.public_key) == {
        "crv": "Ed25519",
        "x": key.public_jwk()["x"],
        "kty": "OKP",
    }
    with pytest.raises(UndecryptableError):
        open_private_key(KEY_RING, replace(key, id="another-key"))
    with pytest.raises(UndecryptableError):
        open_private_key(KeyRing.from_spec(new_key_ring_spec()), key)


def test_the_jwks_entry_has_better_auths_key_order() -> None:
    key = new_signing_key(KEY_RING, NOW, POLICY.rotation_interval)
    assert list(key.public_jwk()) == ["alg", "crv", "x", "kty", "kid"]
    assert key.public_jwk()["alg"] == "EdDSA"
    assert key.public_jwk()["kid"] == key.id


def test_the_grace_period_must_outlast_the_tokens() -> None:
    with pytest.raises(ValueError, match="grace"):
        replace(POLICY, grace_period=timedelta(minutes=14))


async def test_a_token_is_shaped_as_better_auths() -> None:
    keys = KeySet(FakeKeyStore(), KEY_RING, POLICY)
    current = await keys.current(NOW)
    user = {"name": "Ada", "email": "ada@example.com", "id": "u1"}
    issued_at = int(NOW.timestamp())
    token = sign_jwt(jwt_claims(user, subject="u1", issued_at=issued_at, policy=POLICY), current)
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": current.id}
    published = await keys.published(NOW)
    claims = jwt.decode(
        token,
        _public_key(published[0]),
        algorithms=["EdDSA"],
        audience=POLICY.audience,
        issuer=POLICY.issuer,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert list(claims) == ["iat", "name", "email", "id", "sub", "exp", "iss", "aud"]
    assert claims["exp"] - claims["iat"] == 900
    assert claims["sub"] == "u1"


def test_registered_claims_win_over_user_fields() -> None:
    claims = jwt_claims(
        {"sub": "x", "iat": 1, "id": "u1"}, subject="u1", issued_at=5, policy=POLICY
    )
    assert claims["sub"] == "u1"
    assert claims["iat"] == 5


@pytest.mark.parametrize("text", ["", "[]", '"u1"', "{", "null"])
def test_claims_must_be_a_json_object(text: str) -> None:
    assert user_claims(text) is None


class OneSessionStore:
    """The session store with one live session, for issue_token."""

    def __init__(self, token: str, user_id: str) -> None:
        self.hashed = token_hash(token)
        self.session = Session(
            id="s1",
            user_id=user_id,
            expires_at=datetime.now(UTC) + timedelta(days=1),
            created_at=NOW,
            updated_at=NOW,
            ip_address="",
            user_agent="",
            dont_remember=False,
        )

    async def get(self, hashed_token: bytes) -> Session | None:
        return self.session if hashed_token == self.hashed else None


LIFETIMES = SessionLifetimes(
    expires_in=timedelta(days=30),
    update_age=timedelta(days=1),
    dont_remember_expires_in=timedelta(days=1),
)


async def test_issue_token_signs_for_the_sessions_user_only() -> None:
    store = OneSessionStore("t" * 32, "u1")
    keys = KeySet(FakeKeyStore(), KEY_RING, POLICY)
    token, expires_at = await issue_token(
        store,  # type: ignore[arg-type]  # only `get` is used
        LIFETIMES,
        keys,
        POLICY,
        token="t" * 32,
        user_json='{"name":"Ada","id":"u1"}',
    )
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "u1"
    assert expires_at > datetime.now(UTC) + timedelta(minutes=14)
    for user_json in ('{"name":"Eve","id":"u2"}', '{"name":"Eve"}', "[]"):
        with pytest.raises(DomainError) as refused:
            await issue_token(
                store,  # type: ignore[arg-type]
                LIFETIMES,
                keys,
                POLICY,
                token="t" * 32,
                user_json=user_json,
            )
        assert refused.value.reason == "INVALID_CLAIMS"
    with pytest.raises(DomainError) as unknown:
        await issue_token(
            store,  # type: ignore[arg-type]
            LIFETIMES,
            keys,
            POLICY,
            token="u" * 32,
            user_json='{"id":"u1"}',
        )
    assert unknown.value.reason == "SESSION_NOT_FOUND"
