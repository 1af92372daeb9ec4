"""The bearer plugin's `Authorization` header (api.md §9.10) and the gateway's JWT cache,
pinned to what the Better-Auth 1.7.25 peer accepts (its default secret; a token it issued)."""

import time

import pytest

from authmesh_gateway.clients.tokens import IssuedToken
from authmesh_gateway.sessions.jwt_cache import RENEW_BEFORE_S, JwtCache
from authmesh_gateway.wire.bearer import BearerCredential, bearer_credential
from authmesh_gateway.wire.cookies import verify_signed_cookie

PEER_SECRET = "peer-dev-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
TOKEN = "07b5E0CaayDx8xsI3HkXsk3KFKHlNTw7"
SIGNED = f"{TOKEN}.KLYMNLJLfZMhdWEB0OLfsBTDG7tz1jFk1ELf5Z9PCZU="


@pytest.mark.parametrize(
    ("header", "credential"),
    [
        (f"Bearer {TOKEN}", BearerCredential(TOKEN, signed=False)),
        (f"bearer {TOKEN}", BearerCredential(TOKEN, signed=False)),
        (f"BEARER   {SIGNED}   ", BearerCredential(SIGNED, signed=True)),
        (f"Bearer {SIGNED[:-1]}%3D", BearerCredential(f"{SIGNED[:-1]}%3D", signed=True)),
        (f"Basic {TOKEN}", None),
        (f"Bearer{TOKEN}", None),
        ("Bearer ", None),
        ("Bearer    ", None),
        ("Bearer a b", None),  # not a token: no lookup
        ("Bearer " + "a" * 129, None),
        ("Bearer tok%41", None),
    ],
)
def test_bearer_credentials_as_the_peer_reads_them(
    header: str, credential: BearerCredential | None
) -> None:
    assert bearer_credential(header) == credential


@pytest.mark.parametrize(
    ("credential", "token"),
    [
        (SIGNED, TOKEN),  # the peer's set-auth-token value
        (f"{SIGNED[:-1]}%3D", TOKEN),  # URL-encoded, as in the cookie
        (f"{TOKEN}.AAAA", None),  # peer: 401
        (f"{SIGNED}x", None),  # peer: 401
    ],
)
def test_signed_credentials_verify_like_the_cookie(credential: str, token: str | None) -> None:
    parsed = bearer_credential(f"Bearer {credential}")
    assert parsed is not None
    assert parsed.signed
    assert verify_signed_cookie(parsed.value, [PEER_SECRET]) == token


def test_the_jwt_cache_keeps_a_token_until_shortly_before_it_expires() -> None:
    cache = JwtCache()
    now = time.time()
    cache.put(b"fresh", IssuedToken("jwt-1", now + 900))
    cache.put(b"ending", IssuedToken("jwt-2", now + RENEW_BEFORE_S - 1))
    assert cache.get(b"fresh") == "jwt-1"
    assert cache.get(b"ending") is None
    assert cache.get(b"unknown") is None
    assert len(cache) == 1


def test_the_jwt_cache_is_bounded() -> None:
    cache = JwtCache(max_entries=2)
    expires_at = time.time() + 900
    for key in (b"a", b"b", b"c"):
        cache.put(key, IssuedToken(key.decode(), expires_at))
    assert len(cache) <= 2
    assert cache.get(b"c") == "c"
