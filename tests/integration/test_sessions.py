"""Better-Auth's session semantics through the gateway (api.md §3, §4, §9.1; DESIGN §2): the
cookie cache and why it is never trusted, rememberMe:false, refresh per updateAge, freshAge,
listing and revoking sessions, update-session, secret rotation, `__Secure-` and
cross-subdomain cookies.

Two more gateways join the test stack's services for the options a test stack does not set:
one that has rotated its secret, one behind an https base URL sharing cookies across
subdomains with the cookie cache off. Session ages are set in the session service's table.
"""

import base64
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import pytest
import pytest_asyncio

from authmesh_gateway.wire.cookie_cache import read_cookie_cache
from authmesh_gateway.wire.cookies import sign_cookie_value, verify_signed_cookie
from authmesh_kit.stack.supervisor import Stack
from tests.accounts import AUTH, PASSWORD
from tests.conftest import browser, unique_email
from tests.sessions import (
    TOKEN,
    SignedIn,
    anonymous,
    cookie_values,
    extra_gateway,
    get_session,
    session_rows,
    set_cookies,
    sign_in,
    sign_up,
)
from tests.waiting import eventually

pytestmark = pytest.mark.integration

EXPIRES_IN_S = 30 * 24 * 3600
COOKIE_CACHE_MAX_AGE_S = 300
DATA = "better-auth.session_data"
DONT_REMEMBER = "better-auth.dont_remember"
EXPIRED = "=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
CLEARED = [f"{TOKEN}{EXPIRED}", f"{DATA}{EXPIRED}", f"{DONT_REMEMBER}{EXPIRED}"]
NEW_SECRET = "rotated-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
HTTPS_BASE_URL = "https://auth.authmesh.test"
COOKIE_DOMAIN = "authmesh.test"


# --- helpers -------------------------------------------------------------------------------


def decoded_cookie_cache(value: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    return decoded


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def rotated_gateway(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A gateway that signs with a new secret and still accepts the stack's."""
    secrets = f"v2:{NEW_SECRET},v1:{stack.plan.spec.secret}"
    env = {"AUTHMESH_SECRETS": secrets, "AUTHMESH_SECRET": ""}
    async with extra_gateway(stack, tmp_path_factory.mktemp("gw"), "gateway-rotated", env) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def https_gateway(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A gateway behind an https base URL, sharing cookies with every subdomain of
    authmesh.test, with the cookie cache off."""
    env = {
        "AUTHMESH_BASE_URL": HTTPS_BASE_URL,
        "AUTHMESH_CROSS_SUBDOMAIN_COOKIES": "true",
        "AUTHMESH_COOKIE_DOMAIN": COOKIE_DOMAIN,
        "AUTHMESH_COOKIE_CACHE_MAX_AGE_S": "0",
    }
    async with extra_gateway(stack, tmp_path_factory.mktemp("gw"), "gateway-https", env) as url:
        yield url


# --- the cookie cache ------------------------------------------------------------------------


async def test_sign_up_sets_a_cookie_cache_that_better_auth_can_read(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        signed = await sign_up(http)
        session = (await get_session(http, signed.header(TOKEN))).json()
    token_line, data_line = signed.lines
    assert token_line.startswith(f"{TOKEN}=")
    assert token_line.endswith(f"; Max-Age={EXPIRES_IN_S}; Path=/; HttpOnly; SameSite=Lax")
    assert data_line.startswith(f"{DATA}=")
    assert data_line.endswith(f"; Max-Age={COOKIE_CACHE_MAX_AGE_S}; Path=/; HttpOnly; SameSite=Lax")
    claims = read_cookie_cache(signed.cookies[DATA], stack.plan.spec.secret)
    assert claims is not None
    assert claims.token == signed.token
    cached = decoded_cookie_cache(signed.cookies[DATA])
    assert list(cached) == ["session", "expiresAt", "signature"]
    assert list(cached["session"]) == ["session", "user", "updatedAt", "version"]
    assert cached["session"]["version"] == "1"
    assert cached["expiresAt"] - cached["session"]["updatedAt"] == COOKIE_CACHE_MAX_AGE_S * 1000
    # What the cookie holds is exactly what get-session answers.
    assert {"session": cached["session"]["session"], "user": cached["session"]["user"]} == session


async def test_update_user_resets_the_cookie_cache_with_the_new_user(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        signed = await sign_up(http)
        updated = await http.post(
            f"{AUTH}/update-user", json={"name": "Grace"}, headers=signed.header()
        )
    assert updated.status_code == 200, updated.text
    renewed = cookie_values(set_cookies(updated))[DATA]
    assert read_cookie_cache(renewed, stack.plan.spec.secret) is not None
    assert decoded_cookie_cache(renewed)["session"]["user"]["name"] == "Grace"


async def test_remember_me_false_makes_browser_session_cookies(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        email = (await sign_up(http)).email
        signed = await sign_in(http, email, rememberMe=False)
        session = (await get_session(http, signed.header(TOKEN))).json()["session"]
    token_line, dont_remember_line, data_line = signed.lines
    assert token_line.endswith("; Path=/; HttpOnly; SameSite=Lax")
    assert "Max-Age" not in token_line
    signed_true = sign_cookie_value("true", stack.plan.spec.secret)
    assert dont_remember_line == f"{DONT_REMEMBER}={signed_true}; Path=/; HttpOnly; SameSite=Lax"
    assert data_line.startswith(f"{DATA}=")
    assert "Max-Age" not in data_line
    cached = decoded_cookie_cache(signed.cookies[DATA])
    assert cached["expiresAt"] - cached["session"]["updatedAt"] == 60_000  # Better-Auth's 60 s
    remaining_s = _epoch_s(session["expiresAt"]) - time.time()
    assert 24 * 3600 - 60 < remaining_s <= 24 * 3600


def _epoch_s(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


async def test_get_session_renews_the_cookie_cache_only_when_better_auth_would(
    stack: Stack,
) -> None:
    async with anonymous(stack.gateway_url) as http:
        signed = await sign_up(http)
        # A current cookie cache: Better-Auth answers from it and sets nothing.
        assert set_cookies(await get_session(http, signed.header())) == []
        # None: a fresh one.
        [line] = set_cookies(await get_session(http, signed.header(TOKEN)))
        assert line.startswith(f"{DATA}=") and line.endswith(
            f"Max-Age={COOKIE_CACHE_MAX_AGE_S}; Path=/; HttpOnly; SameSite=Lax"
        )
        renewed = cookie_values([line])[DATA]
        assert read_cookie_cache(renewed, stack.plan.spec.secret) is not None
        # disableCookieCache: a fresh one even over a current one (any non-empty value is true).
        for flag in ("true", "false", "1"):
            response = await get_session(http, signed.header(), disableCookieCache=flag)
            assert list(cookie_values(set_cookies(response))) == [DATA]
        # A forged one is expired, then replaced.
        forged = {"cookie": f"{TOKEN}={signed.cookies[TOKEN]}; {DATA}=Zm9yZ2Vk"}
        expired, fresh = set_cookies(await get_session(http, forged))
        assert expired == f"{DATA}{EXPIRED}"
        assert fresh.startswith(f"{DATA}=ey")


async def test_the_gateway_never_trusts_the_cookie_cache(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        alice = await sign_up(http)
        bob = await sign_up(http)
        # A cookie cache alone is no session.
        assert (await get_session(http, alice.header(DATA))).json() is None
        # Bob's token with Alice's (validly signed) cookie cache is Bob.
        mixed = {"cookie": f"{TOKEN}={bob.cookies[TOKEN]}; {DATA}={alice.cookies[DATA]}"}
        answer = (await get_session(http, mixed)).json()
        assert answer["user"]["id"] == bob.user_id
        # After sign-out, the full old jar, cookie cache included, is refused at once.
        out = await http.post(f"{AUTH}/sign-out", headers=alice.header())
        assert out.status_code == 200
        assert set_cookies(out) == [CLEARED[0], CLEARED[1], CLEARED[1], CLEARED[2]]
        after = await get_session(http, alice.header())
        assert after.json() is None
        assert set_cookies(after) == [CLEARED[0], CLEARED[1], CLEARED[1], CLEARED[2]]


async def test_disable_cookie_cache_bypasses_the_gateway_cache(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        signed = await sign_up(http)
        assert (await get_session(http, signed.header(TOKEN))).json() is not None  # cached now
        # Gone without any event (as if the revocation's event were still on its way).
        await session_rows(stack, "DELETE FROM session.sessions WHERE user_id = $1", signed.user_id)
        assert (await get_session(http, signed.header(TOKEN))).json() is not None
        bypassed = await get_session(http, signed.header(TOKEN), disableCookieCache="true")
        assert bypassed.json() is None
        assert set_cookies(bypassed) == CLEARED


# --- refresh, expiry and freshness -----------------------------------------------------------


async def test_a_session_is_refreshed_once_update_age_has_passed(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        signed = await sign_up(http)
        # Last refreshed a day and a minute ago (updateAge is 1 day).
        await session_rows(
            stack,
            "UPDATE session.sessions SET expires_at = now() + interval '29 days' - interval"
            " '1 minute' WHERE user_id = $1",
            signed.user_id,
        )
        kept = await get_session(
            http, signed.header(TOKEN), disableCookieCache="1", disableRefresh="1"
        )
        kept_until = _epoch_s(kept.json()["session"]["expiresAt"])
        assert kept_until < time.time() + EXPIRES_IN_S - 23 * 3600
        assert list(cookie_values(set_cookies(kept))) == [DATA]
        refreshed = await get_session(http, signed.header(TOKEN), disableCookieCache="1")
        until = _epoch_s(refreshed.json()["session"]["expiresAt"])
        assert time.time() + EXPIRES_IN_S - 60 < until <= time.time() + EXPIRES_IN_S
        token_line, data_line = set_cookies(refreshed)
        assert token_line == (
            f"{TOKEN}={signed.cookies[TOKEN]}; Max-Age={EXPIRES_IN_S}; Path=/; HttpOnly;"
            " SameSite=Lax"
        )
        assert data_line.startswith(f"{DATA}=")
        assert refreshed.headers["set-auth-token"] == f"{signed.token}.{_signature(signed)}"


def _signature(signed: SignedIn) -> str:
    return unquote(signed.cookies[TOKEN]).rsplit(".", 1)[1]


async def test_an_expired_session_is_null_and_its_cookies_expire(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        signed = await sign_up(http)
        await session_rows(
            stack,
            "UPDATE session.sessions SET expires_at = now() - interval '1 second'"
            " WHERE user_id = $1",
            signed.user_id,
        )
        response = await get_session(http, signed.header(TOKEN), disableCookieCache="true")
        assert response.json() is None
        assert set_cookies(response) == CLEARED


async def test_list_sessions_needs_a_fresh_session(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        signed = await sign_up(http)
        assert (await http.get(f"{AUTH}/list-sessions", headers=signed.header())).status_code == 200
        await session_rows(
            stack,
            "UPDATE session.sessions SET created_at = now() - interval '1 hour' WHERE user_id = $1",
            signed.user_id,
        )
        stale = await http.get(f"{AUTH}/list-sessions", headers=signed.header())
        assert stale.status_code == 403
        assert stale.content == b'{"message":"Session is not fresh","code":"SESSION_NOT_FRESH"}'
        anonymous_answer = await http.get(f"{AUTH}/list-sessions")
        assert anonymous_answer.status_code == 401
        assert anonymous_answer.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}


# --- listing and revoking --------------------------------------------------------------------


async def test_list_sessions_never_hands_out_another_sessions_token(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        first = await sign_up(http)
        second = await sign_in(http, first.email)
        stranger = await sign_up(http)
        response = await http.get(f"{AUTH}/list-sessions", headers=first.header())
    assert response.status_code == 200, response.text
    listed = response.json()
    assert [entry["userId"] for entry in listed] == [first.user_id, first.user_id]
    own, other = listed
    assert own["token"] == first.token
    assert other["token"] == other["id"] != second.token
    assert list(own) == [
        "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId",
        "activeOrganizationId", "activeTeamId", "impersonatedBy", "id",
    ]  # fmt: skip
    assert stranger.token not in response.text
    # The handle is no bearer secret: not as a cookie, even one signed with the secret, nor
    # as a bearer token.
    handle = other["token"]
    async with anonymous(stack.gateway_url) as http:
        as_cookie = {"cookie": f"{TOKEN}={sign_cookie_value(handle, stack.plan.spec.secret)}"}
        assert (await get_session(http, as_cookie, disableCookieCache="true")).json() is None
        as_bearer = {"authorization": f"Bearer {handle}"}
        assert (await get_session(http, as_bearer, disableCookieCache="true")).json() is None


async def test_revoke_session_takes_a_token_or_a_handle_of_ones_own(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        first = await sign_up(http)
        second = await sign_in(http, first.email)
        third = await sign_in(http, first.email)
        for other in (second, third):  # cached by this gateway, so eviction is tested too
            assert (await get_session(http, other.header())).json() is not None
        second_id = (await get_session(http, second.header())).json()["session"]["id"]
        listed = (await http.get(f"{AUTH}/list-sessions", headers=first.header())).json()
        assert second_id in [entry["token"] for entry in listed]  # its handle
        by_handle = await http.post(
            f"{AUTH}/revoke-session", json={"token": second_id}, headers=first.header()
        )
        assert by_handle.status_code == 200 and by_handle.json() == {"status": True}
        # Not one's own: the cookies stay; the authoritative read renews the cookie cache.
        assert list(cookie_values(set_cookies(by_handle))) == [DATA]
        by_token = await http.post(
            f"{AUTH}/revoke-session", json={"token": third.token}, headers=first.header()
        )
        assert by_token.json() == {"status": True}
        alive = [
            (await get_session(http, signed.header())).json() is not None
            for signed in (first, second, third)
        ]
        assert alive == [True, False, False]
        own = await http.post(
            f"{AUTH}/revoke-session", json={"token": first.token}, headers=first.header()
        )
        assert own.json() == {"status": True}
        assert set_cookies(own) == [CLEARED[0], CLEARED[1], CLEARED[1], CLEARED[2]]
        assert (await get_session(http, first.header())).json() is None


async def test_revoking_another_users_session_is_a_silent_no_op(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        attacker = await sign_up(http)
        victim = await sign_up(http)
        victim_id = (await get_session(http, victim.header(TOKEN))).json()["session"]["id"]
        for reference in (victim.token, victim_id, "", "x" * 1000):
            response = await http.post(
                f"{AUTH}/revoke-session", json={"token": reference}, headers=attacker.header()
            )
            assert response.status_code == 200 and response.json() == {"status": True}
        assert (await get_session(http, victim.header(), disableCookieCache="true")).json()


async def test_revoke_session_checks_its_body_before_the_session(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        missing = await http.post(f"{AUTH}/revoke-session", json={})
        assert missing.status_code == 400
        assert missing.json() == {
            "message": "[body.token] Invalid input: expected string, received undefined",
            "code": "VALIDATION_ERROR",
        }
        no_session = await http.post(f"{AUTH}/revoke-session", json={"token": "x"})
        assert no_session.status_code == 401
        assert no_session.json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}
        for path in ("/revoke-sessions", "/revoke-other-sessions"):
            assert (await http.post(f"{AUTH}{path}")).status_code == 401
            bad = await http.post(
                f"{AUTH}{path}", content=b"{bad", headers={"content-type": "application/json"}
            )
            assert bad.json() == {"message": "Invalid JSON in request body", "code": "BAD_REQUEST"}
            assert (await http.get(f"{AUTH}{path}")).status_code == 404


async def test_revoke_sessions_ends_every_session_and_expires_the_cookies(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        first = await sign_up(http)
        second = await sign_in(http, first.email)
        response = await http.post(f"{AUTH}/revoke-sessions", headers=first.header())
        assert response.status_code == 200 and response.json() == {"status": True}
        assert set_cookies(response) == [CLEARED[0], CLEARED[1], CLEARED[1], CLEARED[2]]
        for signed in (first, second):
            assert (await get_session(http, signed.header())).json() is None


async def test_revoke_other_sessions_keeps_the_callers(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        first = await sign_up(http)
        second = await sign_in(http, first.email)
        response = await http.post(f"{AUTH}/revoke-other-sessions", headers=first.header())
        assert response.status_code == 200 and response.json() == {"status": True}
        assert list(cookie_values(set_cookies(response))) == [DATA]
        assert (await get_session(http, first.header())).json() is not None
        assert (await get_session(http, second.header())).json() is None
        listed = (await http.get(f"{AUTH}/list-sessions", headers=first.header())).json()
        assert [entry["token"] for entry in listed] == [first.token]


async def test_update_session_has_no_field_to_update(stack: Stack) -> None:
    async with anonymous(stack.gateway_url) as http:
        signed = await sign_up(http)
        cases = [
            ({}, 400, {"message": "No fields to update"}),
            (
                {"token": "x", "userId": "y", "expiresAt": "2030-01-01"},
                400,
                {"message": "No fields to update"},
            ),
            ({"activeOrganizationId": None}, 400, {"message": "No fields to update"}),
            (
                {"impersonatedBy": "x", "activeTeamId": "y"},
                400,
                {"message": "activeTeamId is not allowed to be set", "code": "FIELD_NOT_ALLOWED"},
            ),
            (
                [],
                400,
                {
                    "message": "[body] Invalid input: expected record, received array",
                    "code": "VALIDATION_ERROR",
                },
            ),
        ]
        for body, status, answer in cases:
            response = await http.post(f"{AUTH}/update-session", json=body, headers=signed.header())
            assert (response.status_code, response.json()) == (status, answer), body
        anonymous_answer = await http.post(f"{AUTH}/update-session", json={})
        assert anonymous_answer.status_code == 401


# --- several gateways ------------------------------------------------------------------------


async def test_a_revocation_reaches_another_gateway_within_a_second(
    stack: Stack, rotated_gateway: str
) -> None:
    async with anonymous(stack.gateway_url) as here, anonymous(rotated_gateway) as there:
        first = await sign_up(here)
        second = await sign_in(here, first.email)
        assert (await get_session(there, second.header(TOKEN))).json() is not None  # cached there
        listed = (await here.get(f"{AUTH}/list-sessions", headers=first.header())).json()
        [handle] = [entry["token"] for entry in listed if entry["token"] != first.token]
        revoked = await here.post(
            f"{AUTH}/revoke-session", json={"token": handle}, headers=first.header()
        )
        assert revoked.status_code == 200
        started = time.monotonic()
        answer = await eventually(
            lambda: get_session(there, second.header(TOKEN)),
            lambda response: response.json() is None,
            timeout_s=1.0,
        )
        assert answer.json() is None, f"still served after {time.monotonic() - started:.2f} s"


async def test_rotating_the_secret_signs_nobody_out(stack: Stack, rotated_gateway: str) -> None:
    async with anonymous(stack.gateway_url) as old, anonymous(rotated_gateway) as new:
        before = await sign_up(old)
        # A cookie signed with the old secret still works where the new one signs.
        answer = (await get_session(new, before.header(TOKEN))).json()
        assert answer["user"]["id"] == before.user_id
        # New cookies are signed with the new secret, cookie cache included...
        after = await sign_in(new, before.email)
        assert verify_signed_cookie(after.cookies[TOKEN], [NEW_SECRET]) == after.token
        assert verify_signed_cookie(after.cookies[TOKEN], [stack.plan.spec.secret]) is None
        assert read_cookie_cache(after.cookies[DATA], NEW_SECRET) is not None
        # ...so a gateway that has not rotated yet does not take them.
        assert (await get_session(old, after.header(TOKEN))).json() is None
        # A cookie cache signed with the old secret is expired and replaced, as Better-Auth,
        # which reads it with its current secret only, does.
        expired, fresh = set_cookies(await get_session(new, before.header()))
        assert expired == f"{DATA}{EXPIRED}"
        assert read_cookie_cache(cookie_values([fresh])[DATA], NEW_SECRET) is not None


async def test_https_cookies_are_secure_prefixed_and_shared_across_subdomains(
    stack: Stack, https_gateway: str
) -> None:
    secure_token = f"__Secure-{TOKEN}"
    async with anonymous(https_gateway) as http:
        signed = await sign_up(http)
        [line] = signed.lines  # no session_data: the cookie cache is off here
        value = signed.cookies[secure_token]
        assert line == (
            f"{secure_token}={value}; Max-Age={EXPIRES_IN_S}; Domain={COOKIE_DOMAIN}; Path=/;"
            " HttpOnly; Secure; SameSite=Lax"
        )
        assert (await get_session(http, {"cookie": f"{secure_token}={value}"})).json()
        # Without the prefix it is another cookie, which an https deployment does not read.
        assert (await get_session(http, {"cookie": f"{TOKEN}={value}"})).json() is None
        # A cookie cache a client still holds is expired rather than renewed.
        stale = {"cookie": f"{secure_token}={value}; __Secure-{DATA}=stale"}
        assert set_cookies(await get_session(http, stale)) == [
            f"__Secure-{DATA}=; Max-Age=0; Domain={COOKIE_DOMAIN}; Path=/; HttpOnly; Secure;"
            " SameSite=Lax"
        ]
        out = await http.post(f"{AUTH}/sign-out", headers={"cookie": f"{secure_token}={value}"})
        assert set_cookies(out) == [
            f"__Secure-better-auth.{name}=; Max-Age=0; Domain={COOKIE_DOMAIN}; Path=/; HttpOnly;"
            " Secure; SameSite=Lax"
            for name in ("session_token", "session_data", "dont_remember")
        ]
        assert out.headers["strict-transport-security"].startswith("max-age=")


async def test_browser_flow_through_the_cookie_jar(stack: Stack) -> None:
    """The same through a cookie jar, as a browser keeps it."""
    async with browser(stack) as http:
        email = unique_email()
        response = await http.post(
            f"{AUTH}/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
        )
        assert response.status_code == 200
        assert set_cookies(await http.get(f"{AUTH}/get-session")) == []
        listed = await http.get(f"{AUTH}/list-sessions")
        assert [entry["token"] for entry in listed.json()] == [response.json()["token"]]
        revoked = await http.post(f"{AUTH}/revoke-sessions")
        assert revoked.json() == {"status": True}
        assert (await http.get(f"{AUTH}/get-session")).json() is None
