"""Signed cookies, Set-Cookie lines and Cookie parsing, pinned to the Better-Auth 1.7.25 peer
(its default secret below; values copied from its responses)."""

from datetime import UTC, datetime

import pytest

from authmesh_gateway.wire.cookies import (
    CookieNames,
    delete_cookie_header,
    parse_cookie_header,
    set_cookie_header,
    sign_cookie_value,
    signed_value,
    verify_signed_cookie,
)

PEER_SECRET = "peer-dev-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
TOKEN = "TBpCBf7mmLOeaVlgSUSUFan2pkpUKt7j"
SIGNATURE = "jzx4JsZEITGBcdVZjFcM4FSfORGpwRu5VbifNTyUvTM="
ENCODED = f"{TOKEN}.jzx4JsZEITGBcdVZjFcM4FSfORGpwRu5VbifNTyUvTM%3D"


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (
            "ZSdFfhtsky5ehPkEU5odc0QWUHljl6mZ",
            "ZSdFfhtsky5ehPkEU5odc0QWUHljl6mZ.gUtjLLA%2FdYnAmKtzI2X0VGo5q6lkmKSMIDy%2F9G5RN%2Bw%3D",
        ),
        (
            "QFyMUjxlWTLf7Lbjx6ylaJVVdR2m5hPT",
            "QFyMUjxlWTLf7Lbjx6ylaJVVdR2m5hPT.dy0CiA2llj%2B%2FECdquut%2Bo9sctyW%2FBtGpgLl2yK89lH4%3D",
        ),
        ("true", "true.A3XcDy6IcCrRzLrDQiCGfLfk6SfHjURpHd9vkleyW5c%3D"),  # dont_remember
        (TOKEN, ENCODED),
    ],
)
def test_signing_matches_the_peer(value: str, wire: str) -> None:
    assert sign_cookie_value(value, PEER_SECRET) == wire
    assert verify_signed_cookie(wire, [PEER_SECRET]) == value


def test_set_auth_token_is_the_signed_value_url_decoded() -> None:
    # Peer's `set-auth-token` header next to the cookie of the first vector above.
    assert (
        signed_value("ZSdFfhtsky5ehPkEU5odc0QWUHljl6mZ", PEER_SECRET)
        == "ZSdFfhtsky5ehPkEU5odc0QWUHljl6mZ.gUtjLLA/dYnAmKtzI2X0VGo5q6lkmKSMIDy/9G5RN+w="
    )


# Cookie headers sent to the peer's GET /get-session?disableCookieCache=true, and whether it
# found the session (i.e. the session_token cookie verified).
NAME = "better-auth.session_token"
PEER_COOKIE_HEADERS = [
    ("encoded", f"{NAME}={ENCODED}", True),
    ("raw", f"{NAME}={TOKEN}.{SIGNATURE}", True),
    ("lower-case escape", f"{NAME}={TOKEN}.{SIGNATURE[:-1]}%3d", True),
    ("unused low bits differ", f"{NAME}={TOKEN}.{SIGNATURE[:-2]}N=", True),
    ("quoted", f'{NAME}="{ENCODED}"', True),
    ("spaces", f"  {NAME}  =  {ENCODED}  ;other=1", True),
    ("junk before", f"junk; ;=; {NAME}={ENCODED}", True),
    ("first of two wins", f"{NAME}={ENCODED}; {NAME}=bad", True),
    ("bad first of two", f"{NAME}=bad.{SIGNATURE}; {NAME}={ENCODED}", False),
    ("wrong signature", f"{NAME}={TOKEN}.{SIGNATURE[:-4]}AAM=", False),
    ("43-char signature", f"{NAME}={TOKEN}.{SIGNATURE[1:]}", False),
    ("name is case-sensitive", f"{NAME.upper()}={ENCODED}", False),
    ("token without signature", f"{NAME}={TOKEN}", False),
    ("broken escape", f"{NAME}={ENCODED}%zz", False),
]


@pytest.mark.parametrize(
    ("header", "verified"),
    [case[1:] for case in PEER_COOKIE_HEADERS],
    ids=[case[0] for case in PEER_COOKIE_HEADERS],
)
def test_cookie_headers_verify_like_the_peer(header: str, verified: bool) -> None:
    wire = parse_cookie_header(header).get(NAME)
    result = None if wire is None else verify_signed_cookie(wire, [PEER_SECRET])
    assert result == (TOKEN if verified else None)


@pytest.mark.parametrize(
    "wire",
    [
        "",
        ".",
        f".{SIGNATURE}",  # nothing signed
        f"{TOKEN}.{SIGNATURE[:-1]}A",  # no padding
        f"{TOKEN}.{SIGNATURE[:-5]} AAM=",  # whitespace is not base64
        f"{TOKEN}.{SIGNATURE[:-5]}éAAM=",  # nor is non-ASCII
        f"{TOKEN}.{SIGNATURE[:-4]}=AM=",  # padding inside
    ],
)
def test_malformed_signed_values_are_refused(wire: str) -> None:
    assert verify_signed_cookie(wire, [PEER_SECRET]) is None


def test_rotation_signs_with_the_first_secret_and_accepts_any() -> None:
    old = sign_cookie_value(TOKEN, "old-secret")
    assert verify_signed_cookie(old, ["new-secret", "old-secret"]) == TOKEN
    assert verify_signed_cookie(old, ["new-secret"]) is None
    assert verify_signed_cookie(old, []) is None


def test_a_value_with_dots_splits_at_the_last_one() -> None:
    wire = sign_cookie_value("a.b.c", PEER_SECRET)
    assert verify_signed_cookie(wire, [PEER_SECRET]) == "a.b.c"


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("", {}),
        ("novalue", {}),
        ("a=1; b", {"a": "1"}),
        ("a; b=2", {"b": "2"}),
        ("a=1;;b=2;", {"a": "1", "b": "2"}),
        ("=x; a=1", {"": "x", "a": "1"}),
        ('a="q"; b="', {"a": "q", "b": ""}),
        ("a=x=y", {"a": "x=y"}),
        ("a=%41", {"a": "%41"}),  # left encoded: verify_signed_cookie decodes
        ("a=1\u00a0", {"a": "1"}),  # JavaScript trim
    ],
)
def test_parse_cookie_header(header: str, parsed: dict[str, str]) -> None:
    assert parse_cookie_header(header) == parsed


def test_cookie_names() -> None:
    plain = CookieNames.for_base_url("better-auth", "http://localhost:3100")
    assert (plain.session_token, plain.session_data, plain.dont_remember, plain.secure) == (
        "better-auth.session_token",
        "better-auth.session_data",
        "better-auth.dont_remember",
        False,
    )
    secure = CookieNames.for_base_url("", "https://auth.example.com")
    assert secure.secure
    assert secure.session_token == "__Secure-better-auth.session_token"
    assert secure.name("better-auth-passkey") == "__Secure-better-auth.better-auth-passkey"
    assert CookieNames.for_base_url("app", "HTTPS://x").session_token == "app.session_token"


def test_cross_subdomain_cookies_carry_a_domain() -> None:
    # Better-Auth's crossSubDomainCookies: the configured domain, else the base URL's host.
    shared = CookieNames.for_base_url(
        "better-auth", "https://auth.example.com", cross_subdomain=True, domain="example.com"
    )
    assert shared.set_line(shared.session_token, "v", 60) == (
        "__Secure-better-auth.session_token=v; Max-Age=60; Domain=example.com; Path=/;"
        " HttpOnly; Secure; SameSite=Lax"
    )
    assert shared.delete_line(shared.dont_remember) == (
        "__Secure-better-auth.dont_remember=; Max-Age=0; Domain=example.com; Path=/; HttpOnly;"
        " Secure; SameSite=Lax"
    )
    own_host = CookieNames.for_base_url("better-auth", "http://app.test:8000", cross_subdomain=True)
    assert own_host.domain == "app.test"
    assert (
        CookieNames.for_base_url("better-auth", "http://app.test", domain="x.test").domain is None
    )


def test_set_cookie_lines_match_the_peer() -> None:
    assert set_cookie_header(NAME, ENCODED, 2592000, False) == (
        f"{NAME}={ENCODED}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax"
    )
    # rememberMe:false → no Max-Age.
    assert set_cookie_header("better-auth.dont_remember", "v", None, False) == (
        "better-auth.dont_remember=v; Path=/; HttpOnly; SameSite=Lax"
    )
    assert delete_cookie_header("better-auth.session_data", False) == (
        "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
    )


def test_set_cookie_attribute_order() -> None:
    line = set_cookie_header(
        "__Secure-better-auth.session_token",
        "v",
        10,
        True,
        domain="example.com",
        expires=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        partitioned=True,
    )
    assert line == (
        "__Secure-better-auth.session_token=v; Max-Age=10; Domain=example.com; Path=/; "
        "Expires=Thu, 02 Jan 2025 03:04:05 GMT; HttpOnly; Secure; SameSite=Lax; Partitioned"
    )
    assert delete_cookie_header("__Secure-x", True, domain="example.com") == (
        "__Secure-x=; Max-Age=0; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax"
    )


@pytest.mark.parametrize(
    ("name", "kwargs", "line"),
    [
        ("__Secure-a", {}, "__Secure-a=v; Path=/; HttpOnly; Secure; SameSite=Lax"),
        ("__host-a", {"domain": "x.com"}, "__host-a=v; Path=/; HttpOnly; Secure; SameSite=Lax"),
        ("a", {"same_site": "None"}, "a=v; Path=/; HttpOnly; Secure; SameSite=None"),
        ("a", {"same_site": "Strict"}, "a=v; Path=/; HttpOnly; SameSite=Strict"),
    ],
)
def test_attributes_better_call_forces(name: str, kwargs: dict[str, str], line: str) -> None:
    assert set_cookie_header(name, "v", None, False, **kwargs) == line  # type: ignore[arg-type]


def test_max_age_bounds() -> None:
    assert "Max-Age" not in set_cookie_header("a", "v", -1, False)
    assert "Max-Age=34560000" in set_cookie_header("a", "v", 34_560_000, False)
    with pytest.raises(ValueError, match="400 days"):
        set_cookie_header("a", "v", 34_560_001, False)
