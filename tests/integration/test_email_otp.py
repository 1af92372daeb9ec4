"""Better-Auth's emailOTP plugin through the gateway (api.md §9.4): codes mailed by notify for
sign-in, email verification and password reset, with Better-Auth's bodies, codes and limits.

Codes are read where the contract delivers them: sealed notify messages on NATS, opened with
the stack's key ring (tests/mailbox.py). Each endpoint allows 3 requests a minute per client IP,
so a test takes a fresh client (a fresh IP) wherever it needs more.
"""

import asyncio
import json
import re
import time
from typing import Any

import asyncpg
import httpx
import pytest

from authmesh_gateway.security.timing import ENUMERATION_FLOOR_S
from authmesh_kit.stack.supervisor import Stack
from tests.conftest import browser, next_client_ip, unique_email
from tests.mailbox import Mailbox

AUTH = "/api/auth"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"
CODE = re.compile(r"^[0-9]{6}$")
OTP_TYPES_MESSAGE = (
    '[body.type] Invalid option: expected one of "email-verification"|"sign-in"|'
    '"forget-password"|"change-email"'
)
INVALID_OTP = {"message": "Invalid OTP", "code": "INVALID_OTP"}
TOO_MANY_ATTEMPTS = {"message": "Too many attempts", "code": "TOO_MANY_ATTEMPTS"}
RATE_LIMITED = {"message": "Too many requests. Please try again later."}


def fresh_ip() -> dict[str, str]:
    """Headers that put one request in a rate-limit bucket of its own."""
    return {"X-Forwarded-For": next_client_ip()}


async def send_code(http: httpx.AsyncClient, email: str, otp_type: str) -> None:
    response = await http.post(
        f"{AUTH}/email-otp/send-verification-otp",
        json={"email": email, "type": otp_type},
        headers=fresh_ip(),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}


async def mailed_code(mail: Mailbox, email: str, otp_type: str) -> str:
    message = await mail.next(email, "email-otp")
    assert dict(message.fields) == {"otp": message.fields["otp"], "otpType": otp_type}
    assert CODE.match(message.fields["otp"])
    return str(message.fields["otp"])


async def sign_in(http: httpx.AsyncClient, email: str, otp: str, **extra: Any) -> httpx.Response:
    return await http.post(
        f"{AUTH}/sign-in/email-otp", json={"email": email, "otp": otp, **extra}, headers=fresh_ip()
    )


async def sign_up(http: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await http.post(
        f"{AUTH}/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


async def session_user(http: httpx.AsyncClient) -> dict[str, Any] | None:
    response = await http.get(f"{AUTH}/get-session", params={"disableCookieCache": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    return None if body is None else dict(body["user"])


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- sign-in -------------------------------------------------------------------------------


async def test_a_sign_in_code_signs_a_new_address_up_verified(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await send_code(client, email.upper(), "sign-in")
    message = await mail.next(email, "email-otp")
    assert message.user_id == ""  # no user has the address yet
    remaining = message.expires_at.ToSeconds() - time.time()
    assert 250 < remaining <= 300
    code = message.fields["otp"]

    signed_in = await sign_in(
        client, email.upper(), code, name="Ada", image="https://img.example/a.png", role="admin"
    )
    assert signed_in.status_code == 200, signed_in.text
    body = signed_in.json()
    assert list(body) == ["token", "user"]
    user = body["user"]
    assert (user["email"], user["name"], user["image"]) == (
        email,
        "Ada",
        "https://img.example/a.png",
    )
    assert user["emailVerified"] is True and user["role"] == "user"
    assert signed_in.headers["set-auth-token"].startswith(body["token"] + ".")
    assert "better-auth.session_token=" in signed_in.headers["set-cookie"]
    assert (await session_user(client) or {})["id"] == user["id"]
    # Identity keeps only a hash of the code, bound to its type and address.
    conn = await asyncpg.connect(stack.database_url("identity"))
    try:
        rows = await conn.fetch(
            "SELECT * FROM identity.one_time_codes WHERE identifier = $1", email
        )
    finally:
        await conn.close()
    [row] = rows
    assert row["purpose"] == "email-otp:sign-in" and row["consumed_at"] is not None
    assert all(code not in str(value) for value in dict(row).values())


async def test_a_code_signs_in_once(stack: Stack, client: httpx.AsyncClient, mail: Mailbox) -> None:
    email = unique_email()
    await sign_up(client, email)
    await mail.next(email, "verify-email")
    await send_code(client, email, "sign-in")
    code = await mailed_code(mail, email, "sign-in")
    async with browser(stack) as other:
        first = await sign_in(other, email, code)
        assert first.status_code == 200, first.text
        assert first.json()["user"]["email"] == email
    again = await sign_in(client, email, code)
    assert (again.status_code, again.json()) == (400, INVALID_OTP)


async def test_three_wrong_guesses_kill_the_code(client: httpx.AsyncClient, mail: Mailbox) -> None:
    email = unique_email()
    await send_code(client, email, "sign-in")
    code = await mailed_code(mail, email, "sign-in")
    for _ in range(3):
        guess = await sign_in(client, email, wrong(code))
        assert (guess.status_code, guess.json()) == (400, INVALID_OTP)
    dead = await sign_in(client, email, code)
    assert (dead.status_code, dead.json()) == (403, TOO_MANY_ATTEMPTS)
    assert "set-cookie" not in dead.headers


async def test_an_expired_code_says_so(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await send_code(client, email, "sign-in")
    code = await mailed_code(mail, email, "sign-in")
    conn = await asyncpg.connect(stack.database_url("identity"))
    try:
        await conn.execute(
            "UPDATE identity.one_time_codes SET expires_at = now() - interval '1 second'"
            " WHERE identifier = $1",
            email,
        )
    finally:
        await conn.close()
    expired = await sign_in(client, email, code)
    assert (expired.status_code, expired.json()) == (
        400,
        {"message": "OTP expired", "code": "OTP_EXPIRED"},
    )


async def test_codes_are_bound_to_their_type_and_address(
    client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email, other = unique_email(), unique_email()
    await sign_up(client, email)
    await send_code(client, email, "email-verification")
    code = await mailed_code(mail, email, "email-verification")
    as_sign_in = await sign_in(client, email, code)
    assert (as_sign_in.status_code, as_sign_in.json()) == (400, INVALID_OTP)
    elsewhere = await client.post(
        f"{AUTH}/email-otp/verify-email", json={"email": other, "otp": code}, headers=fresh_ip()
    )
    assert (elsewhere.status_code, elsewhere.json()) == (400, INVALID_OTP)
    # Neither guess spent the code where it belongs.
    verified = await client.post(
        f"{AUTH}/email-otp/verify-email", json={"email": email, "otp": code}, headers=fresh_ip()
    )
    assert verified.status_code == 200, verified.text


async def test_two_concurrent_sign_ins_with_one_code_make_one_session(
    client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await send_code(client, email, "sign-in")
    code = await mailed_code(mail, email, "sign-in")
    answers = await asyncio.gather(*(sign_in(client, email, code) for _ in range(2)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 400], [answer.text for answer in answers]
    assert sum("set-cookie" in answer.headers for answer in answers) == 1


async def test_sign_in_bad_input_gets_better_auths_answers(client: httpx.AsyncClient) -> None:
    empty = await client.post(f"{AUTH}/sign-in/email-otp", json={}, headers=fresh_ip())
    assert empty.json() == {
        "message": "[body.email] Invalid input: expected string, received undefined; "
        "[body.otp] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    listed = await client.post(f"{AUTH}/sign-in/email-otp", json=[], headers=fresh_ip())
    assert listed.json()["message"] == (
        "[body] Invalid input: expected object, received array; "
        "[body] Invalid input: expected record, received array"
    )
    # No format check on sign-in: a malformed address simply has no code.
    malformed = await sign_in(client, "not-an-email", "123456")
    assert (malformed.status_code, malformed.json()) == (400, INVALID_OTP)


# --- sending -------------------------------------------------------------------------------


async def test_sending_answers_the_same_for_unknown_addresses(
    client: httpx.AsyncClient, mail: Mailbox
) -> None:
    unknown = unique_email()
    for otp_type in ("email-verification", "forget-password"):
        await send_code(client, unknown, otp_type)
    answer = await client.post(
        f"{AUTH}/email-otp/request-password-reset", json={"email": unknown}, headers=fresh_ip()
    )
    assert answer.json() == {"success": True}
    assert await mail.nothing_for(unknown)


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/email-otp/send-verification-otp", {"type": "email-verification"}),
        ("/email-otp/send-verification-otp", {"type": "forget-password"}),
        ("/email-otp/request-password-reset", {}),
        ("/forget-password/email-otp", {}),
    ],
)
async def test_sending_takes_the_enumeration_floor_for_every_address(
    client: httpx.AsyncClient, path: str, extra: dict[str, str]
) -> None:
    """Mailing a code writes it and a sealed message; an unknown address writes nothing. Both
    answers take at least the floor of security/timing.py, so a stopwatch tells nothing."""
    known = unique_email()
    await sign_up(client, known)
    for email in (known, unique_email()):
        started = time.monotonic()
        answer = await client.post(
            f"{AUTH}{path}", json={"email": email, **extra}, headers=fresh_ip()
        )
        assert answer.status_code == 200, answer.text
        assert time.monotonic() - started >= ENUMERATION_FLOOR_S


async def test_send_bad_input_gets_better_auths_answers(client: httpx.AsyncClient) -> None:
    path = f"{AUTH}/email-otp/send-verification-otp"
    empty = await client.post(path, json={}, headers=fresh_ip())
    assert empty.json() == {
        "message": "[body.email] Invalid input: expected string, received undefined; "
        + OTP_TYPES_MESSAGE,
        "code": "VALIDATION_ERROR",
    }
    bad_type = await client.post(path, json={"email": "a@b.test", "type": 5}, headers=fresh_ip())
    assert bad_type.json()["message"] == OTP_TYPES_MESSAGE
    bad_email = await client.post(
        path, json={"email": "nope", "type": "change-email"}, headers=fresh_ip()
    )
    assert (bad_email.status_code, bad_email.json()) == (
        400,
        {"message": "Invalid email", "code": "INVALID_EMAIL"},
    )
    change = await client.post(
        path, json={"email": unique_email(), "type": "change-email"}, headers=fresh_ip()
    )
    assert (change.status_code, change.json()) == (400, {"message": "Invalid OTP type"})


async def test_send_is_a_first_login_endpoint_with_csrf_checks(stack: Stack) -> None:
    path = f"{AUTH}/email-otp/send-verification-otp"
    body = {"email": unique_email(), "type": "sign-in"}
    async with browser(stack) as http:
        del http.headers["Origin"]
        navigation = await http.post(
            path, json=body, headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
        )
        assert navigation.status_code == 403
        assert navigation.json()["code"] == "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"
        fetch = await http.post(path, json=body, headers={"Sec-Fetch-Mode": "cors"})
        assert (fetch.status_code, fetch.json()["code"]) == (403, "MISSING_OR_NULL_ORIGIN")
        foreign = await http.post(path, json=body, headers={"Origin": "https://evil.example"})
        assert (foreign.status_code, foreign.json()["code"]) == (403, "INVALID_ORIGIN")


# --- email verification --------------------------------------------------------------------


async def test_verify_email_marks_the_address_verified_and_signs_in(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    user = await sign_up(client, email)
    await send_code(client, email, "email-verification")
    code = await mailed_code(mail, email, "email-verification")
    async with browser(stack) as other_device:
        verified = await other_device.post(
            f"{AUTH}/email-otp/verify-email", json={"email": email.upper(), "otp": code}
        )
        assert verified.status_code == 200, verified.text
        body = verified.json()
        assert list(body) == ["status", "token", "user"] and body["status"] is True
        assert body["user"]["id"] == user["id"] and body["user"]["emailVerified"] is True
        assert (await session_user(other_device) or {})["id"] == user["id"]
    # The first device's session shows the change, its password still works.
    assert (await session_user(client) or {})["emailVerified"] is True
    again = await client.post(
        f"{AUTH}/email-otp/verify-email", json={"email": email, "otp": code}, headers=fresh_ip()
    )
    assert (again.status_code, again.json()) == (400, INVALID_OTP)


async def test_verify_email_bad_input(client: httpx.AsyncClient) -> None:
    path = f"{AUTH}/email-otp/verify-email"
    malformed = await client.post(path, json={"email": "bad", "otp": "1"}, headers=fresh_ip())
    assert malformed.json() == {"message": "Invalid email", "code": "INVALID_EMAIL"}
    unknown = await client.post(
        path, json={"email": unique_email(), "otp": "123456"}, headers=fresh_ip()
    )
    assert (unknown.status_code, unknown.json()) == (400, INVALID_OTP)


async def test_check_verification_otp_does_not_consume(
    client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await send_code(client, email, "sign-in")
    code = await mailed_code(mail, email, "sign-in")
    path = f"{AUTH}/email-otp/check-verification-otp"
    body = {"email": email, "type": "sign-in", "otp": code}
    # No user has the address yet: safe to say, the caller holds its code.
    unknown = await client.post(path, json=body, headers=fresh_ip())
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"message": "User not found", "code": "USER_NOT_FOUND"},
    )
    assert (await sign_in(client, email, code)).status_code == 200
    await send_code(client, email, "sign-in")
    code = await mailed_code(mail, email, "sign-in")
    body["otp"] = code
    checked = await client.post(path, json=body, headers=fresh_ip())
    assert (checked.status_code, checked.json()) == (200, {"success": True})
    assert (await sign_in(client, email, code)).status_code == 200
    wrong_type = await client.post(
        path, json={**body, "type": "forget-password"}, headers=fresh_ip()
    )
    assert (wrong_type.status_code, wrong_type.json()) == (400, INVALID_OTP)


# --- password reset ------------------------------------------------------------------------


async def test_reset_password_with_a_code_revokes_sessions_and_reset_links(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as signed_in:
        await sign_up(signed_in, email)
        await mail.next(email, "verify-email")
        link = await signed_in.post(f"{AUTH}/request-password-reset", json={"email": email})
        assert link.status_code == 200
        link_token = (await mail.next(email, "reset-password")).fields["token"]
        async with browser(stack) as http:
            requested = await http.post(
                f"{AUTH}/email-otp/request-password-reset", json={"email": email.upper()}
            )
            assert requested.json() == {"success": True}
            code = await mailed_code(mail, email, "forget-password")
            path = f"{AUTH}/email-otp/reset-password"
            short = await http.post(path, json={"email": email, "otp": code, "password": "short"})
            assert short.json() == {"message": "Password too short", "code": "PASSWORD_TOO_SHORT"}
            done = await http.post(
                path, json={"email": email, "otp": code, "password": NEW_PASSWORD}
            )
            assert (done.status_code, done.json()) == (200, {"success": True})
        assert await session_user(signed_in) is None
        dead_link = await signed_in.post(
            f"{AUTH}/reset-password", json={"newPassword": "another password", "token": link_token}
        )
        assert dead_link.json()["code"] == "INVALID_TOKEN"
    async with browser(stack) as http:
        old = await http.post(f"{AUTH}/sign-in/email", json={"email": email, "password": PASSWORD})
        assert old.status_code == 401
        new = await http.post(
            f"{AUTH}/sign-in/email", json={"email": email, "password": NEW_PASSWORD}
        )
        assert new.status_code == 200
        assert new.json()["user"]["emailVerified"] is True  # the code proved the address
    await mail.next(email, "password-changed")


async def test_a_password_change_or_a_reset_link_spends_outstanding_reset_codes(
    stack: Stack, mail: Mailbox
) -> None:
    """Issue 3 scope 2: a new reset, a completed one and a password change leave no other
    reset secret usable, codes included."""
    email = unique_email()
    path = f"{AUTH}/email-otp/reset-password"
    async with browser(stack) as signed_in:
        await sign_up(signed_in, email)
        request = {"email": email}
        await signed_in.post(f"{AUTH}/email-otp/request-password-reset", json=request)
        code = await mailed_code(mail, email, "forget-password")
        changed = await signed_in.post(
            f"{AUTH}/change-password",
            json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        )
        assert changed.status_code == 200, changed.text
        spent = await signed_in.post(
            path, json={"email": email, "otp": code, "password": "a third password"}
        )
        assert spent.json() == INVALID_OTP

        await signed_in.post(f"{AUTH}/email-otp/request-password-reset", json=request)
        code = await mailed_code(mail, email, "forget-password")
        await signed_in.post(f"{AUTH}/request-password-reset", json=request)
        await mail.next(email, "reset-password")
        spent = await signed_in.post(
            path, json={"email": email, "otp": code, "password": "a third password"}
        )
        assert spent.json() == INVALID_OTP


async def test_forget_password_is_the_deprecated_name_of_request_password_reset(
    client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await sign_up(client, email)
    answer = await client.post(
        f"{AUTH}/forget-password/email-otp", json={"email": email}, headers=fresh_ip()
    )
    assert answer.json() == {"success": True}
    await mailed_code(mail, email, "forget-password")


async def test_reset_password_bad_input_in_better_auths_order(client: httpx.AsyncClient) -> None:
    path = f"{AUTH}/email-otp/reset-password"
    answers = [
        await client.post(path, json=body, headers=fresh_ip())
        for body in (
            {},
            {"email": "bad", "otp": "1", "password": "x"},
            {"email": unique_email(), "otp": "1", "password": "x"},
            {"email": unique_email(), "otp": "1", "password": "x" * 129},
            {"email": unique_email(), "otp": "1", "password": NEW_PASSWORD},
        )
    ]
    assert [answer.json().get("code") for answer in answers] == [
        "VALIDATION_ERROR",
        "INVALID_EMAIL",
        "PASSWORD_TOO_SHORT",
        "PASSWORD_TOO_LONG",
        "INVALID_OTP",
    ]
    assert all(answer.status_code == 400 for answer in answers)


# --- change email (the plugin's changeEmail option is off, as in the peer) -----------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/email-otp/request-email-change", {"newEmail": "new@example.test"}),
        ("/email-otp/change-email", {"newEmail": "new@example.test", "otp": "123456"}),
    ],
)
async def test_email_change_by_code_is_not_offered(
    stack: Stack, path: str, body: dict[str, str]
) -> None:
    async with browser(stack) as http:
        anonymous = await http.post(f"{AUTH}{path}", json=body)
        assert (anonymous.status_code, anonymous.json()) == (
            401,
            {"message": "Unauthorized", "code": "UNAUTHORIZED"},
        )
        await sign_up(http, unique_email())
        refused = await http.post(f"{AUTH}{path}", json=body)
        assert (refused.status_code, refused.json()) == (
            400,
            {"message": "Change email with OTP is disabled"},
        )


# --- unproven access -----------------------------------------------------------------------


async def test_proving_an_unverified_address_strips_access_set_up_before(
    stack: Stack, mail: Mailbox
) -> None:
    """Someone signed the victim's address up with a password and stays signed in; the owner
    signs in by code: the squatter's password and session are gone."""
    email = unique_email()
    async with browser(stack) as squatter:
        squatted = await sign_up(squatter, email)
        async with browser(stack) as owner:
            await send_code(owner, email, "sign-in")
            code = await mailed_code(mail, email, "sign-in")
            signed_in = await sign_in(owner, email, code)
            assert signed_in.status_code == 200, signed_in.text
            assert signed_in.json()["user"]["id"] == squatted["id"]
            assert signed_in.json()["user"]["emailVerified"] is True
            assert (await session_user(owner) or {})["id"] == squatted["id"]
        assert await session_user(squatter) is None
        refused = await squatter.post(
            f"{AUTH}/sign-in/email", json={"email": email, "password": PASSWORD}
        )
        assert refused.status_code == 401


# --- rate limits: api.md §6, the emailOTP rows (3 per 60 s, each path its own bucket) ------


@pytest.mark.parametrize(
    "path",
    [
        "/email-otp/send-verification-otp",
        "/email-otp/check-verification-otp",
        "/email-otp/verify-email",
        "/sign-in/email-otp",
        "/email-otp/request-password-reset",
        "/email-otp/reset-password",
        "/forget-password/email-otp",
        "/email-otp/request-email-change",
        "/email-otp/change-email",
    ],
)
async def test_each_email_otp_endpoint_allows_3_per_60s(
    client: httpx.AsyncClient, path: str
) -> None:
    for attempt in range(3):
        response = await client.post(f"{AUTH}{path}", json={})
        assert response.status_code == 400, f"attempt {attempt + 1}: {response.text}"
    refused = await client.post(f"{AUTH}{path}", json={})
    assert (refused.status_code, refused.json()) == (429, RATE_LIMITED)
    assert 10 < int(refused.headers["x-retry-after"]) <= 60
    # Another endpoint, or another client, has its own budget.
    assert (await client.post(f"{AUTH}/email-otp/verify-email-x", json={})).status_code != 429
    assert (await client.post(f"{AUTH}{path}", json={}, headers=fresh_ip())).status_code == 400


# --- events --------------------------------------------------------------------------------


async def audit_entries(stack: Stack, user_id: str, expected: set[str]) -> list[asyncpg.Record]:
    """The user's audit entries once every `expected` type is there (or after 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        conn = await asyncpg.connect(stack.database_url("audit"))
        try:
            rows = await conn.fetch(
                "SELECT type, payload::text AS payload FROM audit.entries WHERE user_id = $1",
                user_id,
            )
        finally:
            await conn.close()
        if expected <= {row["type"] for row in rows} or time.monotonic() > deadline:
            return list(rows)
        await asyncio.sleep(0.2)


async def test_code_events_reach_audit_without_codes_or_addresses(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    user = await sign_up(client, email)
    await send_code(client, email, "sign-in")
    code = await mailed_code(mail, email, "sign-in")
    assert (await sign_in(client, email, wrong(code))).status_code == 400
    assert (await sign_in(client, email, code)).status_code == 200
    expected = {
        "auth.identity.email_code.requested.v1",
        "auth.identity.email_code.failed.v1",
        "auth.identity.email_verification.verified.v1",  # the code proved the address
        "auth.identity.password.changed.v1",  # and the access set up before it is gone
        "auth.session.session.created.v1",
    }
    rows = await audit_entries(stack, user["id"], expected)
    assert expected <= {row["type"] for row in rows}
    for row in rows:
        assert code not in row["payload"] and wrong(code) not in row["payload"]
        assert email not in row["payload"]


@pytest.mark.parametrize(
    "path",
    [
        "/email-otp/send-verification-otp",
        "/sign-in/email-otp",
        "/email-otp/verify-email",
        "/email-otp/check-verification-otp",
        "/email-otp/request-password-reset",
        "/email-otp/reset-password",
    ],
)
async def test_odd_input_is_never_a_500(client: httpx.AsyncClient, path: str) -> None:
    odd = [
        {"email": "\ud800@example.test", "otp": "\x00", "type": "sign-in", "password": "p" * 9},
        {"email": "a@" + "b" * 300 + ".test", "otp": "1" * 5000, "type": "sign-in"},
        {"email": " A@EXAMPLE.TEST ", "otp": "١٢٣٤٥٦", "type": "forget-password", "password": 5},
        {"email": "a@example.test", "otp": None, "type": ["sign-in"], "name": {"x": 1}},
    ]
    for body in odd:
        # Escaped by json.dumps: a lone surrogate can only arrive as a JSON escape.
        answer = await client.post(
            f"{AUTH}{path}",
            content=json.dumps(body),
            headers={**fresh_ip(), "Content-Type": "application/json"},
        )
        assert answer.status_code < 500, (body, answer.text)
        assert answer.headers["content-type"] == "application/json"
