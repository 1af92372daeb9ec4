"""Request security through the running gateway: one test per row of the rate-limit table
(api.md §6), the origin / CSRF rules and callback-URL validation (api.md §5, WIRE-NOTES §6),
CORS and the security headers.

Every test has its own client IP (tests/conftest.py), so the limits stay on and never couple
two tests. Paths without a route yet are still limited: the limit runs before routing."""

from collections.abc import AsyncIterator

import httpx
import pytest

from authmesh_kit.stack.supervisor import Stack
from tests.conftest import TRUSTED_ORIGIN, browser, unique_email
from tests.rate_limits import assert_limit

SIGN_IN = "/api/auth/sign-in/email"
SIGN_UP = "/api/auth/sign-up/email"
SIGN_OUT = "/api/auth/sign-out"


def nobody() -> dict[str, str]:
    """An address with no account, new each time: the per-account throttle locks an address
    after 10 failed sign-ins, known or not (identity domain/password_throttle.py)."""
    return {"email": unique_email(), "password": "not the password"}


EVIL = "https://evil.example"


def _error(message: str, code: str) -> bytes:
    return f'{{"message":"{message}","code":"{code}"}}'.encode()


INVALID_ORIGIN = _error("Invalid origin", "INVALID_ORIGIN")
MISSING_ORIGIN = _error("Missing or null Origin", "MISSING_OR_NULL_ORIGIN")
CROSS_SITE = _error(
    "Cross-site navigation login blocked. This request appears to be a CSRF attack.",
    "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
)


@pytest.fixture
async def bare(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own IP but no Origin header (curl, a server, a cross-site form)."""
    async with browser(stack) as http:
        del http.headers["Origin"]
        yield http


# --- rate limits: one test per row of api.md §6 ----------------------------------------------


async def test_sign_in_sign_up_change_password_and_change_email_allow_3_per_10s(
    client: httpx.AsyncClient,
) -> None:
    await assert_limit(client, "POST", SIGN_IN, 3, 10, nobody())
    # Failed attempts counted: each of those three was a 401.
    for path in (SIGN_UP, "/api/auth/change-password", "/api/auth/change-email"):
        await assert_limit(client, "POST", path, 3, 10, {})


async def test_password_reset_and_verification_mail_allow_3_per_60s(
    client: httpx.AsyncClient,
) -> None:
    for path in (
        "/api/auth/request-password-reset",
        "/api/auth/send-verification-email",
        "/api/auth/forget-password",
    ):
        await assert_limit(client, "POST", path, 3, 60, {"email": unique_email()})


async def test_two_factor_allows_3_per_10s(client: httpx.AsyncClient) -> None:
    await assert_limit(client, "POST", "/api/auth/two-factor/verify-totp", 3, 10, {"code": "1"})


async def test_email_otp_endpoints_allow_3_per_60s(client: httpx.AsyncClient) -> None:
    # /sign-in/email-otp takes the plugin's 60 s window, not the built-in /sign-in 10 s one.
    for path in (
        "/api/auth/sign-in/email-otp",
        "/api/auth/email-otp/send-verification-otp",
        "/api/auth/email-otp/check-verification-otp",
    ):
        await assert_limit(client, "POST", path, 3, 60, {"email": unique_email(), "otp": "1"})


async def test_magic_link_allows_5_per_60s(client: httpx.AsyncClient) -> None:
    await assert_limit(
        client, "POST", "/api/auth/sign-in/magic-link", 5, 60, {"email": unique_email()}
    )
    await assert_limit(client, "GET", "/api/auth/magic-link/verify?token=x", 5, 60)


async def test_phone_number_allows_10_per_60s(client: httpx.AsyncClient) -> None:
    await assert_limit(
        client, "POST", "/api/auth/phone-number/send-otp", 10, 60, {"phoneNumber": "+15550001"}
    )


async def test_everything_else_allows_100_per_10s(client: httpx.AsyncClient) -> None:
    await assert_limit(client, "GET", "/api/auth/ok", 100, 10)


async def test_get_session_is_limited_too(client: httpx.AsyncClient) -> None:
    await assert_limit(client, "GET", "/api/auth/get-session", 100, 10)


async def test_path_tricks_never_buy_a_fresh_budget(client: httpx.AsyncClient) -> None:
    # A trailing slash is the same bucket as the endpoint (and no route).
    for _ in range(3):
        assert (await client.post(SIGN_IN + "/", json=nobody())).status_code == 404
    assert (await client.post(SIGN_IN, json=nobody())).status_code == 429
    # Case and percent-encoding are other paths: each its own bucket of 404s, never the handler.
    for path in (
        "/api/auth/SIGN-IN/email",
        "/api/auth/sign-in/%65mail",
        "/api/auth//sign-in/email",
    ):
        response = await client.post(path, json=nobody())
        assert response.status_code in (404, 429), path


async def test_clients_without_a_trusted_ip_share_one_bucket(bare: httpx.AsyncClient) -> None:
    # From a trusted proxy, an unparseable X-Forwarded-For leaves the client unknown.
    path = "/api/auth/change-email"
    for garbage in ("garbage", "01.2.3.4", "1.2.3.4:80"):
        response = await bare.post(path, json={}, headers={"X-Forwarded-For": garbage})
        assert response.status_code != 429
    response = await bare.post(path, json={}, headers={"X-Forwarded-For": "[2001:db8::1]"})
    assert response.status_code == 429


async def test_test_paths_are_exempt(client: httpx.AsyncClient) -> None:
    for _ in range(110):
        assert (await client.get("/__test/nothing")).status_code != 429


# --- origin / CSRF ---------------------------------------------------------------------------


async def test_a_cookie_request_from_an_untrusted_origin_is_403(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGN_IN, json=nobody(), headers={"Origin": EVIL, "Cookie": "a=b"})
    assert (response.status_code, response.content) == (403, INVALID_ORIGIN)


async def test_a_cookie_request_without_an_origin_is_403(bare: httpx.AsyncClient) -> None:
    response = await bare.post(SIGN_IN, json=nobody(), headers={"Cookie": "a=b"})
    assert (response.status_code, response.content) == (403, MISSING_ORIGIN)
    response = await bare.post(SIGN_OUT, headers={"Cookie": "a=b", "Origin": "null"})
    assert (response.status_code, response.content) == (403, MISSING_ORIGIN)
    # A Referer stands in for a missing Origin.
    response = await bare.post(
        SIGN_OUT, headers={"Cookie": "a=b", "Referer": f"{TRUSTED_ORIGIN}/settings"}
    )
    assert response.status_code == 200


async def test_sign_out_with_a_session_needs_a_trusted_origin(client: httpx.AsyncClient) -> None:
    email = unique_email()
    signed_up = await client.post(
        SIGN_UP, json={"name": "C", "email": email, "password": "correct horse battery"}
    )
    assert signed_up.status_code == 200
    # The session cookie is in the client's jar from here on.
    for origin, expected in ((EVIL, INVALID_ORIGIN), ("null", MISSING_ORIGIN)):
        refused = await client.post(SIGN_OUT, headers={"Origin": origin})
        assert (refused.status_code, refused.content) == (403, expected)
    still = await client.get("/api/auth/get-session")
    assert still.json()["user"]["email"] == email
    assert (await client.post(SIGN_OUT)).status_code == 200


async def test_post_get_session_runs_the_origin_check_before_its_405(
    bare: httpx.AsyncClient,
) -> None:
    """As the peer: the router's origin and callback checks, then the 405; no body is read."""
    get_session = "/api/auth/get-session"
    refused = await bare.post(get_session, headers={"Cookie": "better-auth.session_token=x"})
    assert (refused.status_code, refused.content) == (403, MISSING_ORIGIN)
    untrusted = await bare.post(get_session, headers={"Cookie": "a=b", "Origin": EVIL})
    assert (untrusted.status_code, untrusted.content) == (403, INVALID_ORIGIN)
    callback = await bare.post(f"{get_session}?callbackURL={EVIL}")
    assert (callback.status_code, callback.content) == (
        403,
        _error("Invalid callbackURL", "INVALID_CALLBACK_URL"),
    )
    for headers in (
        {"Cookie": "a=b", "Origin": TRUSTED_ORIGIN},
        {"Content-Type": "text/plain"},  # no 415: the body is never read
    ):
        answer = await bare.post(get_session, headers=headers, content=b"{bad")
        assert answer.status_code == 405
        assert answer.json()["code"] == "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"


async def test_a_cross_site_navigation_sign_in_is_blocked(bare: httpx.AsyncClient) -> None:
    response = await bare.post(
        SIGN_IN,
        data=nobody(),  # an HTML form
        headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
    )
    assert (response.status_code, response.content) == (403, CROSS_SITE)


async def test_first_login_checks(bare: httpx.AsyncClient) -> None:
    # Node's fetch sends Sec-Fetch-Mode: cors and must send a trusted Origin.
    response = await bare.post(SIGN_IN, json=nobody(), headers={"Sec-Fetch-Mode": "cors"})
    assert (response.status_code, response.content) == (403, MISSING_ORIGIN)
    # Without a cookie an Origin is still checked on the first-login endpoints.
    response = await bare.post(SIGN_UP, json={**nobody(), "name": "E"}, headers={"Origin": EVIL})
    assert (response.status_code, response.content) == (403, INVALID_ORIGIN)
    # Plain server-to-server (no Origin, no Fetch Metadata) passes to the handler.
    response = await bare.post(SIGN_IN, json=nobody())
    assert response.status_code == 401


async def test_body_errors_and_validation_come_before_the_origin_checks(
    bare: httpx.AsyncClient,
) -> None:
    # WIRE-NOTES §1: body read, then the router's origin check, then zod, then formCsrf.
    bad_json = await bare.post(
        SIGN_OUT,
        content=b"{bad",
        headers={"Content-Type": "application/json", "Cookie": "a=b", "Origin": EVIL},
    )
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, "BAD_REQUEST")
    not_an_object = await bare.post(SIGN_IN, json=[], headers={"Origin": EVIL})
    assert (not_an_object.status_code, not_an_object.json()["code"]) == (400, "VALIDATION_ERROR")


CALLBACK_PROBES = [
    "https://evil.example/x",
    "//evil.example",
    "/\\evil.example",
    "/%2F/evil.example",
    "/.//evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "http://localhost:3000\\@evil.example",  # curl would go to evil.example
    "http://localhost:3000@evil.example",
    "https://localhost:3000",
]


@pytest.mark.parametrize("url", CALLBACK_PROBES)
async def test_untrusted_callback_urls_are_403(client: httpx.AsyncClient, url: str) -> None:
    response = await client.post(SIGN_IN, json={**nobody(), "callbackURL": url})
    assert (response.status_code, response.content) == (
        403,
        _error("Invalid callbackURL", "INVALID_CALLBACK_URL"),
    )
    assert "location" not in response.headers


@pytest.mark.parametrize("url", ["", "/ok", "/dashboard?tab=1", f"{TRUSTED_ORIGIN}/after"])
async def test_trusted_callback_urls_pass(client: httpx.AsyncClient, url: str) -> None:
    response = await client.post(SIGN_IN, json={**nobody(), "callbackURL": url})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("field", "code", "message"),
    [
        ("redirectTo", "INVALID_REDIRECT_URL", "Invalid redirectURL"),
        ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL"),
        ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL"),
    ],
)
async def test_every_redirect_field_is_checked(
    client: httpx.AsyncClient, field: str, code: str, message: str
) -> None:
    response = await client.post(SIGN_OUT, json={field: "//evil.example"})
    assert (response.status_code, response.content) == (403, _error(message, code))


async def test_a_query_callback_url_is_checked_too(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGN_OUT, params={"callbackURL": EVIL})
    assert (response.status_code, response.content) == (
        403,
        _error("Invalid callbackURL", "INVALID_CALLBACK_URL"),
    )


# --- CORS and headers ------------------------------------------------------------------------


async def test_a_trusted_preflight_is_answered(bare: httpx.AsyncClient) -> None:
    response = await bare.options(
        SIGN_IN,
        headers={
            "Origin": TRUSTED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert (response.status_code, response.content) == (204, b"")
    headers = response.headers
    assert headers["access-control-allow-origin"] == TRUSTED_ORIGIN
    assert headers["access-control-allow-credentials"] == "true"
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "content-type"
    assert int(headers["access-control-max-age"]) > 0
    assert "Origin" in headers["vary"]


async def test_an_untrusted_preflight_gets_no_cors(bare: httpx.AsyncClient) -> None:
    response = await bare.options(
        SIGN_IN, headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 404
    assert not any(name.startswith("access-control-") for name in response.headers)


async def test_trusted_origins_get_cors_on_answers_and_keep_the_exposed_token(
    client: httpx.AsyncClient,
) -> None:
    signed_up = await client.post(
        SIGN_UP, json={"name": "K", "email": unique_email(), "password": "correct horse battery"}
    )
    assert signed_up.status_code == 200
    assert signed_up.headers["access-control-allow-origin"] == TRUSTED_ORIGIN
    assert signed_up.headers["access-control-allow-credentials"] == "true"
    assert signed_up.headers["access-control-expose-headers"] == "set-auth-token"
    assert "Origin" in signed_up.headers["vary"]
    untrusted = await client.get("/api/auth/ok", headers={"Origin": EVIL})
    assert not any(name.startswith("access-control-") for name in untrusted.headers)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/auth/ok"),
        ("GET", "/api/auth/get-session"),
        ("POST", "/api/auth/get-session"),
        ("GET", "/api/auth/nope"),
        ("POST", SIGN_IN),
    ],
)
async def test_security_headers_on_every_auth_answer(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json=nobody() if method == "POST" else None)
    headers = response.headers
    assert headers.get_list("cache-control") == ["no-store"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in headers  # the test stack's base URL is http
    if path.endswith("get-session"):
        assert headers["pragma"] == "no-cache"


async def test_a_429_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await client.post(SIGN_UP, json={})
    refused = await client.post(SIGN_UP, json={})
    assert refused.status_code == 429
    assert refused.headers["cache-control"] == "no-store"
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert refused.headers["access-control-allow-origin"] == TRUSTED_ORIGIN
    assert "x-retry-after" in refused.headers["access-control-expose-headers"]
