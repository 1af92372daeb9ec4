"""Trusted origins, the origin / CSRF checks and callback-URL validation (api.md §5,
WIRE-NOTES §6), including the open-redirect probes a callbackURL must never get through."""

import pytest

from authmesh_gateway.security.csrf import (
    OriginHeaders,
    check_callback_url,
    check_form_csrf,
    check_origin,
    check_redirect_urls,
)
from authmesh_gateway.security.origins import CustomOrigin, TrustedOrigins, wildcard_regex
from authmesh_gateway.security.urls import http_origin, is_safe_relative_url, scheme_of
from authmesh_gateway.wire.body import MISSING
from authmesh_gateway.wire.errors import ApiError

TRUSTED_ORIGIN = "http://localhost:3000"
TRUSTED = TrustedOrigins.for_gateway(
    "http://localhost:8000/api/auth",
    ["http://localhost:3000", "https://*.example.com", "myapp://callback", "myapp2://host/cb"],
)


def _refusal(error: pytest.ExceptionInfo[ApiError]) -> tuple[int, bytes | None]:
    return error.value.status, error.value.body()


# --- WHATWG origins -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://localhost:3000", "http://localhost:3000"),
        ("HTTP://LocalHost:3000/a?b#c", "http://localhost:3000"),
        ("http://localhost:80/x", "http://localhost"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://localhost:03000", "http://localhost:3000"),
        ("http://user:pw@localhost:3000/", "http://localhost:3000"),
        # Browsers read a backslash as a slash in http(s) URLs: the host ends before it.
        ("http://localhost:3000\\@evil.example", "http://localhost:3000"),
        ("http://evil.example\\@localhost:3000", "http://evil.example"),
        ("http:/\\evil.example/", "http://evil.example"),
        ("http:localhost:3000/x", "http://localhost:3000"),
        ("http://localhost:3000@evil.example", "http://evil.example"),
        ("  http://evil.example", "http://evil.example"),
        ("http://ev\til.example", "http://evil.example"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
    ],
)
def test_http_origins_are_the_browsers(url: str, origin: str) -> None:
    assert http_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "/relative",
        "localhost:3000",
        "http://",
        "http://localhost:99999",
        "http://localhost:3000:1",
        "http://exa mple.com",
        "http://ex%61mple.com",  # percent-encoded host: not modelled, refused
        "http://exämple.com",  # IDNA: not modelled, refused
        "http://0x7f.1:3000",  # a browser reads 127.0.0.1; only the canonical form is accepted
        "http://2130706433/",
        "http://[fe80::1%25eth0]/",
        "myapp://callback",
        "javascript:alert(1)",
    ],
)
def test_urls_without_a_modelled_http_origin(url: str) -> None:
    assert http_origin(url) is None


def test_schemes_are_read_as_a_browser_does() -> None:
    assert scheme_of(" JavaScript:alert(1)") == "javascript"
    assert scheme_of("java\tscript:alert(1)") == "javascript"
    assert scheme_of("/path") is None


# --- callback URLs: open-redirect probes --------------------------------------------------------

OPEN_REDIRECTS = [
    "//evil.example",
    "///evil.example",
    "//localhost:3000",  # protocol-relative, even to a trusted host
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2F/evil.example",
    "/%2f/evil.example",
    "/%5C/evil.example",
    "/%5c%5cevil.example",
    "/.//evil.example",
    "/..//evil.example",
    "/%2e//evil.example",
    "/a/%2E%2E//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/ok\r\nSet-Cookie: x=1",
    "/\x00",
    "/\x7f",
    "/\x85",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript://localhost:3000/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://evil.example/x",
    "http://evil.example?http://localhost:3000",
    "http://evil.example#http://localhost:3000",
    "http://evil.example/http://localhost:3000",
    "http://localhost:3000@evil.example",
    # A browser goes to localhost:3000, curl to evil.example: refused (Better-Auth allows it).
    "http://localhost:3000\\@evil.example",
    "http://localhost:3000/\\evil.example",
    "http://localhost:3000.evil.example",
    "http://localhost.evil.example:3000",
    "http://localhost:30000",
    "https://localhost:3000",
    "ftp://localhost:3000",
    "http:/\\evil.example",
    "https:evil.example",
    "http://localhost:3000\n",  # a browser strips it; a redirect target never has one
    "http://0x7f.0.0.1:3000",
    "https://example.com",  # the wildcard needs a subdomain
    "https://evil.com/.example.com",
    "https://a.example.com.evil.com",
    "http://a.example.com",  # the wildcard pattern is https
    "myapp://other",
    "myapp2://host/cb/../evil",
    "myapp2://host/cb%2F..%2Fevil",
    "myapp2://host/cbevil",
    "relative/path",
    "evil.example",
]


@pytest.mark.parametrize("url", OPEN_REDIRECTS)
def test_open_redirects_are_refused(url: str) -> None:
    assert not TRUSTED.is_trusted(url, allow_relative_paths=True)
    with pytest.raises(ApiError) as refused:
        check_callback_url(url, "callbackURL", trusted=TRUSTED)
    assert _refusal(refused) == (
        403,
        b'{"message":"Invalid callbackURL","code":"INVALID_CALLBACK_URL"}',
    )


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/dashboard",
        "/a/b?next=//evil.example#frag",  # only the path is checked for separators
        "/a/../b",
        "/%2e%2e/x",
        "/caf%C3%A9",
        "http://localhost:3000",
        "http://localhost:3000/x?y=1",
        "HTTP://LOCALHOST:3000/x",
        "http:localhost:3000/x",
        "http://user@localhost:3000/x",
        "http://localhost:8000/after",  # the base URL's own origin
        "https://app.example.com/cb",
        "https://a.b.example.com",
        "myapp://callback",
        "myapp://callback/deep/link",
        "myapp2://host/cb",
        "myapp2://host/cb/x",
    ],
)
def test_trusted_and_safe_relative_urls_pass(url: str) -> None:
    assert TRUSTED.is_trusted(url, allow_relative_paths=True)
    check_callback_url(url, "callbackURL", trusted=TRUSTED)


def test_relative_paths_are_not_origins() -> None:
    assert not TRUSTED.is_trusted("/dashboard")
    assert is_safe_relative_url("/dashboard")


@pytest.mark.parametrize(
    ("pattern", "url", "expected"),
    [
        ("*.preview.example.org", "https://x.preview.example.org/cb", True),
        ("*.preview.example.org", "http://x.preview.example.org", True),
        ("*.preview.example.org", "https://preview.example.org", False),
        # Stricter than Better-Auth: a host-only wildcard never admits a script URL.
        ("*.preview.example.org", "javascript://x.preview.example.org/%0Aalert(1)", False),
        ("192.168.*.*", "http://192.168.1.20:8080", True),
        ("192.168.*.*", "http://192.168.attacker.com", False),
        ("http://192.168.*.*:*", "http://192.168.1.2:5173", True),
        ("http://192.168.*.*:*", "http://192.168.evil.com:5173", False),
        ("https://app-?.example.com", "https://app-1.example.com", True),
        ("https://app-?.example.com", "https://app-12.example.com", False),
        ("exp://*", "exp://192.168.1.1:8081/--/x", True),
        ("exp://*", "exp://user@192.168.1.1", False),
        ("myapp://*/cb/*", "myapp://h/cb/x", True),
        ("myapp://*/cb/*", "myapp://h/other", False),
    ],
)
def test_wildcard_patterns(pattern: str, url: str, expected: bool) -> None:
    assert TrustedOrigins([pattern]).is_trusted(url, allow_relative_paths=True) is expected


def test_wildcards_compile_like_better_auth() -> None:
    assert wildcard_regex("a*b?c").fullmatch("axxbyc")
    assert not wildcard_regex("a*b").fullmatch("ab\n")
    assert wildcard_regex("a\\*b").fullmatch("a*b")
    assert not wildcard_regex("a\\*b").fullmatch("axb")


def test_custom_schemes_are_split_without_a_url_parser() -> None:
    parsed = CustomOrigin.parse("MyApp://Host/a/./b/../c?x#y")
    assert parsed == CustomOrigin("myapp", "host", "/a/c")
    assert CustomOrigin.parse("myapp:cb") == CustomOrigin("myapp", "", "/cb")
    assert CustomOrigin.parse("myapp://h/\x01") is None
    assert CustomOrigin.parse(":nothing") is None


def test_the_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        TrustedOrigins.for_gateway("ftp://host", [])


# --- the router's redirect fields ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"callbackURL": "https://evil.example"}, "INVALID_CALLBACK_URL"),
        ({"redirectTo": "//evil.example"}, "INVALID_REDIRECT_URL"),
        ({"errorCallbackURL": "javascript:alert(1)"}, "INVALID_ERROR_CALLBACK_URL"),
        ({"newUserCallbackURL": "/%2F/evil"}, "INVALID_NEW_USER_CALLBACK_URL"),
        # Field by field, type then trust: an untrusted callbackURL wins over a later number.
        ({"callbackURL": "https://evil.example", "redirectTo": 5}, "INVALID_CALLBACK_URL"),
    ],
)
def test_untrusted_redirect_fields_are_403(body: dict[str, object], code: str) -> None:
    with pytest.raises(ApiError) as refused:
        check_redirect_urls(body, {}, trusted=TRUSTED)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code) == (403, code)


def test_a_number_before_an_untrusted_url_is_the_400() -> None:
    with pytest.raises(ApiError) as refused:
        check_redirect_urls({"callbackURL": 5, "redirectTo": "https://evil"}, {}, trusted=TRUSTED)
    assert _refusal(refused) == (400, b'{"message":"Invalid callbackURL: expected a string"}')


def test_the_query_callback_url_is_checked_when_the_body_has_none() -> None:
    evil = {"callbackURL": ["https://evil.example"]}
    for body in ({}, {"callbackURL": ""}, MISSING, [1]):
        with pytest.raises(ApiError) as refused:
            check_redirect_urls(body, evil, trusted=TRUSTED)  # type: ignore[arg-type]
        assert refused.value.code == "INVALID_CALLBACK_URL"
    # The body's own value wins over the query's.
    check_redirect_urls({"callbackURL": "/ok"}, evil, trusted=TRUSTED)
    check_redirect_urls(MISSING, {"callbackURL": ["/ok"]}, trusted=TRUSTED)
    with pytest.raises(ApiError) as repeated:
        check_redirect_urls(MISSING, {"callbackURL": ["/a", "/b"]}, trusted=TRUSTED)
    assert _refusal(repeated) == (400, b'{"message":"Invalid callbackURL: expected a string"}')


def test_falsy_redirect_fields_are_left_to_zod() -> None:
    check_redirect_urls(
        {"callbackURL": "", "redirectTo": 0, "errorCallbackURL": None, "newUserCallbackURL": False},
        {},
        trusted=TRUSTED,
    )


# --- validateOrigin -----------------------------------------------------------------------------

MISSING_ORIGIN = (403, b'{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}')
INVALID_ORIGIN = (403, b'{"message":"Invalid origin","code":"INVALID_ORIGIN"}')
CROSS_SITE = (
    403,
    b'{"message":"Cross-site navigation login blocked. This request appears to be a CSRF attack.",'
    b'"code":"CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"}',
)


def _origin_refusal(headers: OriginHeaders, *, force: bool = False) -> tuple[int, bytes | None]:
    with pytest.raises(ApiError) as refused:
        check_origin(headers, trusted=TRUSTED, force=force)
    return _refusal(refused)


def test_without_a_cookie_the_origin_is_not_checked() -> None:
    check_origin(OriginHeaders(origin="https://evil.example"), trusted=TRUSTED)
    check_origin(OriginHeaders(), trusted=TRUSTED)


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        (OriginHeaders(has_cookie=True), MISSING_ORIGIN),
        (OriginHeaders(has_cookie=True, origin="null"), MISSING_ORIGIN),
        (OriginHeaders(has_cookie=True, origin="", referer="null"), MISSING_ORIGIN),
        (OriginHeaders(has_cookie=True, origin="https://evil.example"), INVALID_ORIGIN),
        (OriginHeaders(has_cookie=True, referer="https://evil.example/page"), INVALID_ORIGIN),
        # Origin wins over Referer.
        (
            OriginHeaders(
                has_cookie=True, origin="https://evil.example", referer="http://localhost:3000/"
            ),
            INVALID_ORIGIN,
        ),
        # Two Origin headers are one joined value, as in the Fetch API: not an origin.
        (
            OriginHeaders(has_cookie=True, origin="http://localhost:3000, https://evil.example"),
            INVALID_ORIGIN,
        ),
        # `Origin: null` from the same origin stands for the Host, which must be trusted too.
        (
            OriginHeaders(
                has_cookie=True, origin="null", sec_fetch_site="same-origin", host="evil.example"
            ),
            INVALID_ORIGIN,
        ),
        (
            OriginHeaders(has_cookie=True, origin="null", sec_fetch_site="same-site"),
            MISSING_ORIGIN,
        ),
        (OriginHeaders(has_cookie=True, origin="/relative"), INVALID_ORIGIN),
    ],
)
def test_a_cookie_request_needs_a_trusted_origin(
    headers: OriginHeaders, refusal: tuple[int, bytes]
) -> None:
    assert _origin_refusal(headers) == refusal


@pytest.mark.parametrize(
    "headers",
    [
        OriginHeaders(has_cookie=True, origin="http://localhost:3000"),
        OriginHeaders(has_cookie=True, referer="http://localhost:3000/settings?x=1"),
        OriginHeaders(has_cookie=True, origin="http://localhost:8000"),
        OriginHeaders(has_cookie=True, origin="https://tenant.example.com"),
        OriginHeaders(
            has_cookie=True, origin="null", sec_fetch_site="same-origin", host="localhost:8000"
        ),
    ],
)
def test_trusted_origins_pass(headers: OriginHeaders) -> None:
    check_origin(headers, trusted=TRUSTED)


def test_forced_validation_needs_an_origin_without_a_cookie() -> None:
    assert _origin_refusal(OriginHeaders(), force=True) == MISSING_ORIGIN


# --- formCsrf -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        (OriginHeaders(sec_fetch_site="cross-site", sec_fetch_mode="navigate"), CROSS_SITE),
        # Even from a trusted origin: a cross-site navigation is never a login.
        (
            OriginHeaders(
                origin=TRUSTED_ORIGIN, sec_fetch_site="cross-site", sec_fetch_mode="navigate"
            ),
            CROSS_SITE,
        ),
        # Node's fetch always sends `Sec-Fetch-Mode: cors`: it must send an Origin.
        (OriginHeaders(sec_fetch_mode="cors"), MISSING_ORIGIN),
        (OriginHeaders(sec_fetch_dest="document"), MISSING_ORIGIN),
        (OriginHeaders(sec_fetch_site="cross-site", origin="https://evil.example"), INVALID_ORIGIN),
        (OriginHeaders(origin="https://evil.example"), INVALID_ORIGIN),
        (OriginHeaders(referer="https://evil.example/login"), INVALID_ORIGIN),
        (OriginHeaders(has_cookie=True), MISSING_ORIGIN),
        (OriginHeaders(has_cookie=True, origin="https://evil.example"), INVALID_ORIGIN),
    ],
)
def test_form_csrf_refusals(headers: OriginHeaders, refusal: tuple[int, bytes]) -> None:
    with pytest.raises(ApiError) as refused:
        check_form_csrf(headers, trusted=TRUSTED)
    assert _refusal(refused) == refusal


@pytest.mark.parametrize(
    "headers",
    [
        OriginHeaders(),  # curl, server to server
        OriginHeaders(sec_fetch_site="  "),  # blank Fetch Metadata counts as absent
        OriginHeaders(sec_fetch_site="same-origin", origin="http://localhost:3000"),
        OriginHeaders(
            sec_fetch_site="cross-site", sec_fetch_mode="cors", origin="http://localhost:3000"
        ),
        OriginHeaders(referer="http://localhost:3000/login"),
        OriginHeaders(has_cookie=True, origin="http://localhost:3000"),
    ],
)
def test_form_csrf_passes(headers: OriginHeaders) -> None:
    check_form_csrf(headers, trusted=TRUSTED)


def test_origin_headers_join_repeated_values() -> None:
    sent = {"origin": ["http://a", "http://b"], "cookie": ["x=1"], "sec-fetch-mode": ["cors"]}
    headers = OriginHeaders.read(lambda name: sent.get(name, []))
    assert headers == OriginHeaders(
        origin="http://a, http://b", has_cookie=True, sec_fetch_mode="cors"
    )
