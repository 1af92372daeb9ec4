"""The `session_data` cookie cache, pinned to cookies the Better-Auth 1.7.25 peer wrote."""

import base64
import json
import math
from typing import Any

import pytest

from authmesh_gateway.wire.cookie_cache import (
    CookieCacheClaims,
    chunk_cookie_value,
    claims_are_current,
    cookie_cache_names,
    cookie_cache_value,
    encode_cookie_cache,
    read_cookie_cache,
)
from authmesh_gateway.wire.js import json_stringify

PEER_SECRET = "peer-dev-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
# Set on sign-up (Max-Age=300), and on a sign-in with rememberMe:false (no Max-Age: 60 s).
SIGN_UP_COOKIE = (
    "eyJzZXNzaW9uIjp7InNlc3Npb24iOnsiZXhwaXJlc0F0IjoiMjAyNi0xMi0yN1QwMToxMjoyOS4yODlaIiwidG9r"
    "ZW4iOiJqZWN4bVlIRmlwdFlWM3pIZDVMcnpBRFFGNjlseVZsZCIsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjdUMDE6"
    "MTI6MjkuMjg5WiIsInVwZGF0ZWRBdCI6IjIwMjYtMTEtMjdUMDE6MTI6MjkuMjg5WiIsImlwQWRkcmVzcyI6IjEw"
    "LjkuMC4xIiwidXNlckFnZW50IjoiY3VybC83Ljg4LjEiLCJ1c2VySWQiOiJRdmY2ME03RW41djF3TFljenBoSVZz"
    "dGhOcUNYODY4WSIsImFjdGl2ZU9yZ2FuaXphdGlvbklkIjpudWxsLCJhY3RpdmVUZWFtSWQiOm51bGwsImltcGVy"
    "c29uYXRlZEJ5IjpudWxsLCJpZCI6Ikx6STdzZm5XeUVxczFNUlVGeThUWFl2azRZT2p1NW9NIn0sInVzZXIiOnsi"
    "bmFtZSI6IkFkYSIsImVtYWlsIjoiaDUtMjQxNTBAZXhhbXBsZS5jb20iLCJlbWFpbFZlcmlmaWVkIjpmYWxzZSwi"
    "aW1hZ2UiOm51bGwsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjdUMDE6MTI6MjkuMjgzWiIsInVwZGF0ZWRBdCI6IjIw"
    "MjYtMTEtMjdUMDE6MTI6MjkuMjgzWiIsInR3b0ZhY3RvckVuYWJsZWQiOmZhbHNlLCJ1c2VybmFtZSI6bnVsbCwi"
    "ZGlzcGxheVVzZXJuYW1lIjpudWxsLCJwaG9uZU51bWJlciI6bnVsbCwicGhvbmVOdW1iZXJWZXJpZmllZCI6bnVs"
    "bCwicm9sZSI6InVzZXIiLCJiYW5uZWQiOmZhbHNlLCJiYW5SZWFzb24iOm51bGwsImJhbkV4cGlyZXMiOm51bGws"
    "ImlkIjoiUXZmNjBNN0VuNXYxd0xZY3pwaElWc3RoTnFDWDg2OFkifSwidXBkYXRlZEF0IjoxNzk1NzQxOTQ5Mjk3"
    "LCJ2ZXJzaW9uIjoiMSJ9LCJleHBpcmVzQXQiOjE3OTU3NDIyNDkyOTcsInNpZ25hdHVyZSI6Ild1RjJ4c1FpQU92"
    "c3dYc3JUUXdQQUxBam1aQk50RVktV1RRZzVPelVHa3cifQ"
)
BROWSER_SESSION_COOKIE = (
    "eyJzZXNzaW9uIjp7InNlc3Npb24iOnsiZXhwaXJlc0F0IjoiMjAyNi0xMS0yOFQwMToxMjozNC40ODNaIiwidG9r"
    "ZW4iOiJzVVBDNUVBcEJ0TnFqTHpkNHVkdjdNTUpDS004OG5nMyIsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjdUMDE6"
    "MTI6MzQuNDg0WiIsInVwZGF0ZWRBdCI6IjIwMjYtMTEtMjdUMDE6MTI6MzQuNDg0WiIsImlwQWRkcmVzcyI6IjEw"
    "LjkuMC4yIiwidXNlckFnZW50IjoiY3VybC83Ljg4LjEiLCJ1c2VySWQiOiJRdmY2ME03RW41djF3TFljenBoSVZz"
    "dGhOcUNYODY4WSIsImFjdGl2ZU9yZ2FuaXphdGlvbklkIjpudWxsLCJhY3RpdmVUZWFtSWQiOm51bGwsImltcGVy"
    "c29uYXRlZEJ5IjpudWxsLCJpZCI6IlhMMlZOTHJ0aERBQ0NhaUQ0WWVOa200aExPWEcyd3VlIn0sInVzZXIiOnsi"
    "bmFtZSI6IkFkYSIsImVtYWlsIjoiaDUtMjQxNTBAZXhhbXBsZS5jb20iLCJlbWFpbFZlcmlmaWVkIjpmYWxzZSwi"
    "aW1hZ2UiOm51bGwsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjdUMDE6MTI6MjkuMjgzWiIsInVwZGF0ZWRBdCI6IjIw"
    "MjYtMTEtMjdUMDE6MTI6MjkuMjgzWiIsInR3b0ZhY3RvckVuYWJsZWQiOmZhbHNlLCJ1c2VybmFtZSI6bnVsbCwi"
    "ZGlzcGxheVVzZXJuYW1lIjpudWxsLCJwaG9uZU51bWJlciI6bnVsbCwicGhvbmVOdW1iZXJWZXJpZmllZCI6bnVs"
    "bCwicm9sZSI6InVzZXIiLCJiYW5uZWQiOmZhbHNlLCJiYW5SZWFzb24iOm51bGwsImJhbkV4cGlyZXMiOm51bGws"
    "ImlkIjoiUXZmNjBNN0VuNXYxd0xZY3pwaElWc3RoTnFDWDg2OFkifSwidXBkYXRlZEF0IjoxNzk1NzQxOTU0NDkw"
    "LCJ2ZXJzaW9uIjoiMSJ9LCJleHBpcmVzQXQiOjE3OTU3NDIwMTQ0OTAsInNpZ25hdHVyZSI6InlsdGxBajRabjRQ"
    "cHVGbjJuNzdMU1J1TU1fcmlvUkxkd195NzVHVVhISmMifQ"
)


def _decoded(cookie: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    )
    return decoded


@pytest.mark.parametrize("cookie", [SIGN_UP_COOKIE, BROWSER_SESSION_COOKIE])
def test_encoding_reproduces_the_peer_byte_for_byte(cookie: str) -> None:
    outer = _decoded(cookie)
    session_data = outer["session"]
    assert isinstance(session_data, dict)
    # What get-session answers, which is what the gateway caches and encodes.
    body = json_stringify({"session": session_data["session"], "user": session_data["user"]})
    encoded = encode_cookie_cache(
        body.encode(),
        secret=PEER_SECRET,
        now_ms=session_data["updatedAt"],
        expires_at_ms=outer["expiresAt"],
    )
    assert encoded == cookie


def test_a_peer_cookie_reads_back_with_its_claims() -> None:
    claims = read_cookie_cache(SIGN_UP_COOKIE, PEER_SECRET)
    assert claims == CookieCacheClaims(
        token="jecxmYHFiptYV3zHd5LrzADQF69lyVld",
        expires_at_ms=1795742249297,
        session_expires_at_ms=1798333949289,
    )
    assert claims_are_current(claims, "jecxmYHFiptYV3zHd5LrzADQF69lyVld", 1795742249297)
    assert not claims_are_current(claims, "jecxmYHFiptYV3zHd5LrzADQF69lyVld", 1795742249298)
    assert not claims_are_current(claims, "another-token", 1795742000000)


@pytest.mark.parametrize(
    "cookie",
    [
        SIGN_UP_COOKIE[:-1] + ("A" if SIGN_UP_COOKIE[-1] != "A" else "B"),  # signature changed
        SIGN_UP_COOKIE[:200],  # truncated
        "",
        "not base64 at all!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(b'{"session":{},"expiresAt":"1","signature":"x"}').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
    ],
)
def test_forged_or_broken_cookies_read_as_nothing(cookie: str) -> None:
    assert read_cookie_cache(cookie, PEER_SECRET) is None


def test_another_secret_does_not_verify() -> None:
    assert read_cookie_cache(SIGN_UP_COOKIE, PEER_SECRET + "x") is None


def test_a_session_without_a_date_is_never_current() -> None:
    outer = _decoded(SIGN_UP_COOKIE)
    session_data = outer["session"]
    assert isinstance(session_data, dict)
    session_data["session"]["expiresAt"] = "soon"
    body = json_stringify({"session": session_data["session"], "user": session_data["user"]})
    cookie = encode_cookie_cache(body.encode(), secret=PEER_SECRET, now_ms=1, expires_at_ms=2**52)
    claims = read_cookie_cache(cookie, PEER_SECRET)
    assert claims is not None
    assert math.isnan(claims.session_expires_at_ms)
    assert not claims_are_current(claims, claims.token, 0)


def test_chunks_are_joined_in_index_order() -> None:
    name = "better-auth.session_data"
    cookies = {
        f"{name}.1": "b",
        f"{name}.0": "a",
        f"{name}.10": "k",
        f"{name}.01": "x",
        "other": "y",
    }
    assert cookie_cache_value(cookies, name) == "abk"
    assert cookie_cache_names(cookies, name) == [f"{name}.1", f"{name}.0", f"{name}.10"]
    assert cookie_cache_value({name: "whole", f"{name}.0": "a"}, name) == "whole"
    assert cookie_cache_value({}, name) is None


def test_large_values_are_chunked_as_better_auth_does() -> None:
    assert chunk_cookie_value("n", "abc", 3) == [("n", "abc")]
    assert chunk_cookie_value("n", "abcdefg", 3) == [("n.0", "abc"), ("n.1", "def"), ("n.2", "g")]
    assert chunk_cookie_value("n", "x" * 301, 3) == []  # more than 100 chunks: skipped
