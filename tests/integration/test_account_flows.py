"""Better-Auth's core account flows through the gateway (api.md §9.1): email verification,
password reset, change and check, update-user; identity owning every one-time secret.

Tokens are read where the contract delivers them: sealed notify messages on NATS, opened with
the stack's key ring (tests/mailbox.py). Each test has its own clients, so its own client IPs
and rate-limit buckets (at most 3 messages per minute per IP on the mailing endpoints).
"""

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import asyncpg
import grpc
import httpx
import pytest

from authmesh.identity.v1 import identity_pb2, identity_pb2_grpc
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer
from authmesh_kit.stack.supervisor import Stack
from tests.accounts import (
    AUTH,
    PASSWORD,
    TOKEN,
    error,
    identity_rows,
    request_reset,
    reset_token,
    session_user,
    sign_in,
    sign_up,
    verification_token,
)
from tests.conftest import TRUSTED_ORIGIN, browser, unique_email
from tests.mailbox import Mailbox

NEW_PASSWORD = "staple battery horse"


# --- helpers -------------------------------------------------------------------------------


async def expire_tokens(stack: Stack, user_id: str) -> None:
    await identity_rows(
        stack,
        "UPDATE identity.one_time_tokens SET expires_at = now() - interval '1 second'"
        " WHERE user_id = $1",
        user_id,
    )


# --- email verification --------------------------------------------------------------------


async def test_sign_up_mails_a_verification_link_built_from_the_base_url_only(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    response = await client.post(
        f"{AUTH}/sign-up/email",
        json={"name": "Ada", "email": email.upper(), "password": PASSWORD, "callbackURL": "/hi"},
        headers=forged,
    )
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    message = await mail.next(email, "verify-email")
    assert dict(message.fields).keys() == {"token", "url"}
    token = message.fields["token"]
    assert TOKEN.match(token)
    assert message.fields["url"] == (
        f"{stack.gateway_url}{AUTH}/verify-email?token={token}&callbackURL=%2Fhi"
    )
    assert message.user_id == user["id"]
    remaining = message.expires_at.ToSeconds() - time.time()
    assert 3500 < remaining <= 3600
    # Identity keeps the hash of purpose and token, and nothing from which to recover it.
    rows = await identity_rows(
        stack, "SELECT * FROM identity.one_time_tokens WHERE user_id = $1", user["id"]
    )
    [row] = rows
    assert row["purpose"] == "email-verification" and row["consumed_at"] is None
    assert (
        bytes(row["token_hash"]) == hashlib.sha256(f"email-verification:{token}".encode()).digest()
    )
    assert all(token not in str(value) for value in dict(row).values())


async def test_verify_email_marks_the_address_verified_and_signs_in(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await sign_up(client, email)
    token = await verification_token(mail, email)
    assert (await session_user(client) or {})["emailVerified"] is False

    async with browser(stack) as other_device:
        verified = await other_device.get(f"{AUTH}/verify-email", params={"token": token})
        assert verified.status_code == 200, verified.text
        assert verified.json() == {"status": True, "user": None}
        assert "better-auth.session_token=" in verified.headers["set-cookie"]
        user = await session_user(other_device)  # signed in by the link
        assert user is not None and user["email"] == email and user["emailVerified"] is True
    # The first device's cached session shows the change at once.
    assert (await session_user(client) or {})["emailVerified"] is True

    reused = await client.get(f"{AUTH}/verify-email", params={"token": token})
    assert reused.status_code == 401
    assert reused.json() == {"message": "Invalid token", "code": "INVALID_TOKEN"}


async def test_verify_email_with_a_callback_redirects_there_and_errors_go_there_too(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http:
        await sign_up(http, email)
        token = await verification_token(mail, email)
    async with browser(stack) as http:
        callback = f"{TRUSTED_ORIGIN}/done?from=mail"
        answer = await http.get(
            f"{AUTH}/verify-email", params={"token": token, "callbackURL": callback}
        )
        assert answer.status_code == 302 and answer.content == b""
        assert answer.headers["location"] == callback
        assert "better-auth.session_token=" in answer.headers["set-cookie"]
        again = await http.get(
            f"{AUTH}/verify-email", params={"token": token, "callbackURL": "/welcome#top"}
        )
        assert again.status_code == 302
        assert again.headers["location"] == "/welcome?error=INVALID_TOKEN#top"
        foreign = await http.get(
            f"{AUTH}/verify-email",
            params={"token": token, "callbackURL": "https://evil.example/x"},
        )
        assert error(foreign) == (403, "INVALID_CALLBACK_URL")


async def test_an_expired_verification_link_says_so(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    user = (await sign_up(client, email))["user"]
    token = await verification_token(mail, email)
    await expire_tokens(stack, user["id"])
    expired = await client.get(f"{AUTH}/verify-email", params={"token": token})
    assert expired.json() == {"message": "Token expired", "code": "TOKEN_EXPIRED"}
    assert expired.status_code == 401
    redirected = await client.get(
        f"{AUTH}/verify-email", params={"token": token, "callbackURL": "/v?a=1"}
    )
    assert redirected.headers["location"] == "/v?a=1&error=TOKEN_EXPIRED"
    assert (await session_user(client) or {})["emailVerified"] is False


@pytest.mark.parametrize(
    "token",
    ["", "x", "A" * 31, "A" * 33, "A" * 31 + "-", "é" * 32, "A" * 5000, "null"],
)
async def test_malformed_verification_tokens_are_invalid_never_a_500(
    client: httpx.AsyncClient, token: str
) -> None:
    answer = await client.get(f"{AUTH}/verify-email", params={"token": token})
    assert error(answer) == (401, "INVALID_TOKEN")
    redirected = await client.get(
        f"{AUTH}/verify-email", params={"token": token, "callbackURL": "/v"}
    )
    assert redirected.status_code == 302
    assert redirected.headers["location"] == "/v?error=INVALID_TOKEN"


async def test_verify_email_query_is_validated_like_zod(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"{AUTH}/verify-email")
    assert missing.status_code == 400
    assert missing.json() == {
        "message": "[query.token] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    twice = await client.get(f"{AUTH}/verify-email?token=a&token=b")
    assert twice.json()["message"] == "[query.token] Invalid input: expected string, received array"


async def test_send_verification_email_without_a_session_tells_nothing(
    stack: Stack, mail: Mailbox
) -> None:
    unverified, unknown = unique_email(), unique_email()
    async with browser(stack) as http:
        await sign_up(http, unverified)
        await verification_token(mail, unverified)  # the sign-up's own
    async with browser(stack) as anonymous:
        for email in (unknown, unverified):
            started = time.monotonic()
            answer = await anonymous.post(
                f"{AUTH}/send-verification-email", json={"email": email, "callbackURL": "/x"}
            )
            assert answer.status_code == 200 and answer.json() == {"status": True}
            assert time.monotonic() - started >= 0.5
        message = await mail.next(unverified, "verify-email")
        assert message.fields["url"].endswith("&callbackURL=%2Fx")
        assert await mail.nothing_for(unknown)
        invalid = await anonymous.post(f"{AUTH}/send-verification-email", json={"email": "nope"})
        assert invalid.json() == {
            "message": "[body.email] Invalid email address",
            "code": "VALIDATION_ERROR",
        }


async def test_send_verification_email_with_a_session_is_for_its_own_unverified_address(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await sign_up(client, email)
    first = await verification_token(mail, email)
    mismatch = await client.post(f"{AUTH}/send-verification-email", json={"email": unique_email()})
    assert mismatch.json() == {"message": "Email mismatch", "code": "EMAIL_MISMATCH"}
    assert mismatch.status_code == 400
    resent = await client.post(f"{AUTH}/send-verification-email", json={"email": email.upper()})
    assert resent.json() == {"status": True}
    second = await verification_token(mail, email)
    assert second != first
    assert (await client.get(f"{AUTH}/verify-email", params={"token": second})).status_code == 200
    # Verified: the older link is spent too, and asking again is refused.
    assert error(await client.get(f"{AUTH}/verify-email", params={"token": first})) == (
        401,
        "INVALID_TOKEN",
    )
    done = await client.post(f"{AUTH}/send-verification-email", json={"email": email})
    assert done.json() == {"message": "Email is already verified", "code": "EMAIL_ALREADY_VERIFIED"}


# --- password reset ------------------------------------------------------------------------


async def test_password_reset_from_link_to_new_password_revokes_every_session(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as laptop, browser(stack) as phone, browser(stack) as public:
        await sign_up(laptop, email)
        assert (await sign_in(phone, email)).status_code == 200
        await request_reset(public, email, redirectTo=f"{TRUSTED_ORIGIN}/reset")
        message = await mail.next(email, "reset-password")
        token = message.fields["token"]
        assert dict(message.fields).keys() == {"token", "url"} and TOKEN.match(token)
        assert message.fields["url"] == (
            f"{stack.gateway_url}{AUTH}/reset-password/{token}"
            f"?callbackURL={quote(TRUSTED_ORIGIN + '/reset', safe='')}"
        )

        link = await public.get(message.fields["url"].removeprefix(stack.gateway_url))
        assert link.status_code == 302 and link.content == b""
        assert link.headers["location"] == f"{TRUSTED_ORIGIN}/reset?token={token}"

        done = await public.post(
            f"{AUTH}/reset-password", json={"newPassword": NEW_PASSWORD, "token": token}
        )
        assert done.status_code == 200 and done.json() == {"status": True}
        assert await session_user(laptop) is None and await session_user(phone) is None
        assert (await mail.next(email, "password-changed")).fields == {}
        assert error(await sign_in(public, email)) == (401, "INVALID_EMAIL_OR_PASSWORD")
        assert (await sign_in(public, email, NEW_PASSWORD)).status_code == 200

        reused = await public.post(
            f"{AUTH}/reset-password", json={"newPassword": PASSWORD, "token": token}
        )
        assert reused.json() == {"message": "Invalid token", "code": "INVALID_TOKEN"}
        assert reused.status_code == 400
        dead_link = await public.get(f"{AUTH}/reset-password/{token}?callbackURL=/reset")
        assert dead_link.headers["location"] == (f"{stack.gateway_url}/reset?error=INVALID_TOKEN")


async def test_request_password_reset_answers_the_same_for_unknown_addresses(
    stack: Stack, mail: Mailbox
) -> None:
    unknown = unique_email()
    async with browser(stack) as http:
        await request_reset(http, unknown)
        await request_reset(http, "NOT-AN-ACCOUNT@example.test", redirectTo="/r")
        assert await mail.nothing_for(unknown)
        invalid = await http.post(f"{AUTH}/request-password-reset", json={"email": 5})
        assert invalid.json()["message"] == (
            "[body.email] Invalid input: expected string, received number"
        )


async def test_a_new_reset_link_and_a_password_change_invalidate_older_links(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http, browser(stack) as other:
        await sign_up(http, email)
        await request_reset(other, email)
        first = await reset_token(mail, email)
        await request_reset(other, email)
        second = await reset_token(mail, email)
        stale = await other.post(
            f"{AUTH}/reset-password", json={"newPassword": NEW_PASSWORD, "token": first}
        )
        assert error(stale) == (400, "INVALID_TOKEN")
        changed = await http.post(
            f"{AUTH}/change-password",
            json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        )
        assert changed.status_code == 200, changed.text
        after_change = await other.post(
            f"{AUTH}/reset-password?token={second}", json={"newPassword": PASSWORD}
        )
        assert error(after_change) == (400, "INVALID_TOKEN")
        link = await other.get(f"{AUTH}/reset-password/{second}", params={"callbackURL": "/r"})
        assert link.headers["location"].endswith("/r?error=INVALID_TOKEN")


async def test_reset_password_takes_the_token_from_the_query_too(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http:
        await sign_up(http, email)
        await request_reset(http, email)
        token = await reset_token(mail, email)
        done = await http.post(
            f"{AUTH}/reset-password?token={token}", json={"newPassword": NEW_PASSWORD}
        )
        assert done.json() == {"status": True}
        assert (await sign_in(http, email, NEW_PASSWORD)).status_code == 200


async def test_reset_password_bad_input_gets_better_auths_answers(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http:
        user = (await sign_up(http, email))["user"]
        await request_reset(http, email)
        token = await reset_token(mail, email)
        verification = await verification_token(mail, email)

        async def reset(body: Any, path: str = f"{AUTH}/reset-password") -> httpx.Response:
            return await http.post(path, json=body)

        assert (await reset({})).json() == {
            "message": "[body.newPassword] Invalid input: expected string, received undefined",
            "code": "VALIDATION_ERROR",
        }
        assert (await reset({"newPassword": 5, "token": token})).json()["code"] == (
            "VALIDATION_ERROR"
        )
        assert (await reset({"newPassword": NEW_PASSWORD, "token": 5})).json()["message"] == (
            "[body.token] Invalid input: expected string, received number"
        )
        assert error(await reset({"newPassword": NEW_PASSWORD})) == (400, "INVALID_TOKEN")
        # Better-Auth's order: the password's length before the token's validity.
        assert error(await reset({"newPassword": "short", "token": "bogus"})) == (
            400,
            "PASSWORD_TOO_SHORT",
        )
        assert error(await reset({"newPassword": "x" * 129, "token": token})) == (
            400,
            "PASSWORD_TOO_LONG",
        )
        for bad in ("bogus", "A" * 32, verification, token + "A", "ü" * 40):
            assert error(await reset({"newPassword": NEW_PASSWORD, "token": bad})) == (
                400,
                "INVALID_TOKEN",
            )
        twice = await http.post(
            f"{AUTH}/reset-password?token=a&token=b", json={"newPassword": NEW_PASSWORD}
        )
        assert twice.json()["message"] == (
            "[query.token] Invalid input: expected string, received array"
        )
        await expire_tokens(stack, user["id"])
        assert error(await reset({"newPassword": NEW_PASSWORD, "token": token})) == (
            400,
            "INVALID_TOKEN",
        )
        # Nothing above changed the password.
        assert (await sign_in(http, email)).status_code == 200


async def test_reset_link_check_validates_its_query_and_its_callback(
    client: httpx.AsyncClient,
) -> None:
    token = "A" * 32
    missing = await client.get(f"{AUTH}/reset-password/{token}")
    assert missing.json() == {
        "message": "[query.callbackURL] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    foreign = await client.get(
        f"{AUTH}/reset-password/{token}", params={"callbackURL": "https://evil.example/"}
    )
    assert error(foreign) == (403, "INVALID_CALLBACK_URL")
    unknown = await client.get(
        f"{AUTH}/reset-password/{token}", params={"callbackURL": f"{TRUSTED_ORIGIN}/r?x=1"}
    )
    assert unknown.headers["location"] == f"{TRUSTED_ORIGIN}/r?x=1&error=INVALID_TOKEN"


async def test_tokens_are_bound_to_their_purpose(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await sign_up(client, email)
    verification = await verification_token(mail, email)
    await request_reset(client, email)
    reset = await reset_token(mail, email)
    as_verification = await client.get(f"{AUTH}/verify-email", params={"token": reset})
    assert error(as_verification) == (401, "INVALID_TOKEN")
    as_reset = await client.post(
        f"{AUTH}/reset-password", json={"newPassword": NEW_PASSWORD, "token": verification}
    )
    assert error(as_reset) == (400, "INVALID_TOKEN")
    link = await client.get(f"{AUTH}/reset-password/{verification}", params={"callbackURL": "/r"})
    assert link.headers["location"].endswith("/r?error=INVALID_TOKEN")
    # Both still work for what they are.
    assert (await client.get(f"{AUTH}/verify-email", params={"token": verification})).is_success
    done = await client.post(
        f"{AUTH}/reset-password", json={"newPassword": NEW_PASSWORD, "token": reset}
    )
    assert done.is_success


# --- malformed bodies on every new POST endpoint -------------------------------------------

POST_ENDPOINTS = {
    "/send-verification-email": "object",
    "/request-password-reset": "object",
    "/reset-password": "object",
    "/change-password": "object",
    "/verify-password": "object",
    "/update-user": "record",
}


@pytest.mark.parametrize("path", list(POST_ENDPOINTS))
@pytest.mark.parametrize(
    ("content", "content_type", "status", "expected"),
    [
        (b"[]", "application/json", 400, "[body] Invalid input: expected {shape}, received array"),
        (b"null", "application/json", 400, "[body] Invalid input: expected {shape}, received null"),
        (b"", None, 400, "[body] Invalid input: expected {shape}, received undefined"),
        (b"{bad", "application/json", 400, "Invalid JSON in request body"),
        (b"{}", "text/plain", 415, None),
    ],
)
async def test_malformed_bodies_get_better_auths_errors_never_a_500(
    stack: Stack,
    path: str,
    content: bytes,
    content_type: str | None,
    status: int,
    expected: str | None,
) -> None:
    async with browser(stack) as http:
        headers = {"content-type": content_type} if content_type else {}
        answer = await http.post(f"{AUTH}{path}", content=content, headers=headers)
    assert answer.status_code == status, answer.text
    if expected is not None:
        assert answer.json()["message"] == expected.format(shape=POST_ENDPOINTS[path])


# --- one use of a secret, whatever the concurrency -----------------------------------------

USES = 20


async def test_a_verification_link_used_20_times_at_once_verifies_once(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http:
        await sign_up(http, email)
    token = await verification_token(mail, email)
    async with browser(stack) as http:
        answers = await asyncio.gather(
            *(http.get(f"{AUTH}/verify-email", params={"token": token}) for _ in range(USES))
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [401] * (USES - 1), statuses
    signed_in = [answer for answer in answers if "set-cookie" in answer.headers]
    assert len(signed_in) == 1


async def test_a_reset_link_used_20_times_at_once_resets_once(stack: Stack, mail: Mailbox) -> None:
    email = unique_email()
    async with browser(stack) as http:
        await sign_up(http, email)
        await request_reset(http, email)
        token = await reset_token(mail, email)
        passwords = [f"new-password-{n:02d}" for n in range(USES)]
        answers = await asyncio.gather(
            *(
                http.post(f"{AUTH}/reset-password", json={"newPassword": password, "token": token})
                for password in passwords
            )
        )
        won = [p for p, answer in zip(passwords, answers, strict=True) if answer.status_code == 200]
        assert len(won) == 1, [answer.status_code for answer in answers]
        assert all(error(a) == (400, "INVALID_TOKEN") for a in answers if a.status_code != 200)
        assert (await sign_in(http, email, won[0])).status_code == 200
    # One completion: one notice.
    await asyncio.sleep(1)
    assert [m.type for m in mail.all_for(email)].count("password-changed") == 1


# --- change-password, verify-password ------------------------------------------------------


async def test_change_password_keeps_or_rotates_sessions_as_asked(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http, browser(stack) as phone:
        user = (await sign_up(http, email))["user"]
        assert (await sign_in(phone, email)).status_code == 200

        kept = await http.post(
            f"{AUTH}/change-password",
            json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        )
        assert kept.status_code == 200, kept.text
        assert kept.json()["token"] is None and kept.json()["user"]["id"] == user["id"]
        assert "set-cookie" not in kept.headers
        assert await session_user(phone) is not None
        assert (await mail.next(email, "password-changed")).user_id == user["id"]

        old_cookie = http.cookies["better-auth.session_token"]
        rotated = await http.post(
            f"{AUTH}/change-password",
            json={
                "currentPassword": NEW_PASSWORD,
                "newPassword": PASSWORD,
                "revokeOtherSessions": True,
            },
        )
        assert rotated.status_code == 200, rotated.text
        token = rotated.json()["token"]
        assert TOKEN.match(token)
        assert f"better-auth.session_token={token}." in rotated.headers["set-cookie"]
        assert (await session_user(http) or {})["id"] == user["id"]  # the new session
        assert await session_user(phone) is None
        async with browser(stack) as replay:
            replay.cookies.set("better-auth.session_token", old_cookie)
            assert await session_user(replay) is None


async def test_change_password_bad_input(stack: Stack) -> None:
    email = unique_email()
    async with browser(stack) as http, browser(stack) as anonymous:
        empty = await anonymous.post(f"{AUTH}/change-password", json={})
        assert empty.json()["message"] == (
            "[body.newPassword] Invalid input: expected string, received undefined; "
            "[body.currentPassword] Invalid input: expected string, received undefined"
        )
        body = {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}
        assert error(await anonymous.post(f"{AUTH}/change-password", json=body)) == (
            401,
            "UNAUTHORIZED",
        )
        await sign_up(http, email)
        wrong = await http.post(
            f"{AUTH}/change-password", json={**body, "currentPassword": "not-it-at-all"}
        )
        assert wrong.json() == {"message": "Invalid password", "code": "INVALID_PASSWORD"}
        short = await http.post(f"{AUTH}/change-password", json={**body, "newPassword": "short"})
        assert error(short) == (400, "PASSWORD_TOO_SHORT")
    # Rate limit: /change-password allows 3 per 10 s per IP.
    async with browser(stack) as http:
        assert (await sign_in(http, email)).status_code == 200
        typed = await http.post(f"{AUTH}/change-password", json={**body, "revokeOtherSessions": 1})
        assert typed.json()["message"] == (
            "[body.revokeOtherSessions] Invalid input: expected boolean, received number"
        )
        assert (await sign_in(http, email)).status_code == 200  # nothing changed


async def test_verify_password_checks_the_session_users_password(stack: Stack) -> None:
    async with browser(stack) as http:
        assert error(await http.post(f"{AUTH}/verify-password", json={"password": "x"})) == (
            401,
            "UNAUTHORIZED",
        )
        await sign_up(http, unique_email())
        ok = await http.post(f"{AUTH}/verify-password", json={"password": PASSWORD})
        assert ok.status_code == 200 and ok.json() == {"status": True}
        for wrong in ("wrong password", "", "x" * 5000):
            answer = await http.post(f"{AUTH}/verify-password", json={"password": wrong})
            assert answer.json() == {"message": "Invalid password", "code": "INVALID_PASSWORD"}
        typed = await http.post(f"{AUTH}/verify-password", json={"password": None})
        assert typed.json()["message"] == (
            "[body.password] Invalid input: expected string, received null"
        )


# --- update-user ---------------------------------------------------------------------------


async def test_update_user_changes_name_and_image_only(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    user = (await sign_up(client, unique_email()))["user"]

    async def update(body: Any) -> httpx.Response:
        return await client.post(f"{AUTH}/update-user", json=body)

    done = await update({"name": "Grace", "image": "https://img.example/g.png", "extra": 1})
    assert done.status_code == 200 and done.json() == {"status": True}
    after = await session_user(client)  # no stale cached answer
    assert after is not None
    assert (after["name"], after["image"]) == ("Grace", "https://img.example/g.png")
    assert (await update({"image": None})).json() == {"status": True}
    assert (await session_user(client) or {})["image"] is None

    assert (await update({"email": "new@example.test"})).json() == {
        "message": "Email can not be updated",
        "code": "EMAIL_CAN_NOT_BE_UPDATED",
    }
    for field, value in (("role", "admin"), ("banned", True), ("twoFactorEnabled", True)):
        refused = await update({"name": "Eve", field: value})
        assert refused.status_code == 400
        assert refused.json() == {
            "message": f"{field} is not allowed to be set",
            "code": "FIELD_NOT_ALLOWED",
        }
    phone = await update({"phoneNumber": "+15550001"})
    assert error(phone) == (400, "PHONE_NUMBER_CANNOT_BE_UPDATED")  # as the peer answers
    for nothing in ({}, {"emailVerified": True}, {"role": None, "id": "x"}):
        answer = await update(nothing)
        assert answer.status_code == 400 and answer.json() == {"message": "No fields to update"}
    assert (await update([])).json()["message"] == (
        "[body] Invalid input: expected record, received array"
    )
    assert (await update({"name": 5})).json()["message"] == (
        "[body.name] Invalid input: expected string, received number"
    )
    assert (await update({"name": None})).json()["code"] == "VALIDATION_ERROR"
    unchanged = await session_user(client)
    assert unchanged is not None
    assert (unchanged["name"], unchanged["role"], unchanged["emailVerified"]) == (
        "Grace",
        "user",
        False,
    )
    assert unchanged["id"] == user["id"]


async def test_update_user_needs_a_session(client: httpx.AsyncClient) -> None:
    # A plain record schema: any object passes zod, so the session check answers first.
    answer = await client.post(f"{AUTH}/update-user", json={"name": 5})
    assert error(answer) == (401, "UNAUTHORIZED")


# --- requiring verified addresses ----------------------------------------------------------


@pytest.fixture
async def verification_required(stack: Stack) -> AsyncIterator[None]:
    """Identity restarted with AUTHMESH_REQUIRE_EMAIL_VERIFICATION, and back afterwards."""
    original = stack.plan
    stack.plan = replace(original, spec=replace(original.spec, require_email_verification=True))
    await stack.stop_service("identity")
    try:
        await stack.start_service("identity")
        yield
    finally:
        stack.plan = original
        await stack.stop_service("identity")
        await stack.start_service("identity")


@pytest.mark.usefixtures("verification_required")
async def test_with_verification_required_sign_in_waits_for_the_link(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http:
        signed_up = await http.post(
            f"{AUTH}/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
        )
        assert signed_up.status_code == 200, signed_up.text
        assert signed_up.json()["token"] is None and "set-cookie" not in signed_up.headers
        user = signed_up.json()["user"]
        # A taken address gets the same answer, with a user that does not exist.
        again = await http.post(
            f"{AUTH}/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
        )
        assert again.status_code == 200 and again.json()["token"] is None
        assert list(again.json()["user"]) == list(user) and again.json()["user"]["id"] != user["id"]
        first = await verification_token(mail, email)

    async with browser(stack) as http:
        refused = await http.post(
            f"{AUTH}/sign-in/email",
            json={"email": email, "password": PASSWORD, "callbackURL": "/in"},
        )
        assert refused.json() == {"message": "Email not verified", "code": "EMAIL_NOT_VERIFIED"}
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
        resent = await mail.next(email, "verify-email")  # sendOnSignIn
        assert resent.fields["url"].endswith("&callbackURL=%2Fin")
        assert resent.fields["token"] != first
        assert error(await sign_in(http, email, "wrong password!")) == (
            401,
            "INVALID_EMAIL_OR_PASSWORD",
        )
        verified = await http.get(f"{AUTH}/verify-email", params={"token": resent.fields["token"]})
        assert verified.status_code == 200
        assert (await session_user(http) or {})["emailVerified"] is True
    async with browser(stack) as http:
        assert (await sign_in(http, email)).status_code == 200


# --- sessions follow password changes, durably ---------------------------------------------


async def test_password_changed_event_revokes_sessions_even_without_the_gateways_call(
    stack: Stack,
) -> None:
    """identity.ChangePassword called directly, as if the gateway died right after it: the
    session service's consumer of password.changed revokes the sessions by itself."""
    email = unique_email()
    async with browser(stack) as http:
        user = (await sign_up(http, email))["user"]
        token = ServiceTokenIssuer("gateway", stack.plan.key_pairs["gateway"][0]).token_for(
            "identity"
        )
        async with grpc.aio.insecure_channel(stack.addr("identity")) as channel:
            await identity_pb2_grpc.IdentityServiceStub(channel).ChangePassword(
                identity_pb2.ChangePasswordRequest(
                    user_id=user["id"],
                    current_password=PASSWORD,
                    new_password=NEW_PASSWORD,
                    revoke_other_sessions=True,
                ),
                metadata=(("authorization", f"Bearer {token}"),),
                timeout=10,
            )
        deadline = time.monotonic() + 10
        while await session_user(http) is not None:
            assert time.monotonic() < deadline, "the session outlived the password change"
            await asyncio.sleep(0.2)
        # Sessions made after the change survive a redelivery of the event.
        assert (await sign_in(http, email, NEW_PASSWORD)).status_code == 200
        await asyncio.sleep(1)
        assert await session_user(http) is not None


async def test_account_events_reach_audit_without_secrets(stack: Stack, mail: Mailbox) -> None:
    email = unique_email()
    async with browser(stack) as http:
        user = (await sign_up(http, email))["user"]
        verification = await verification_token(mail, email)
        await http.get(f"{AUTH}/verify-email", params={"token": verification})
        await request_reset(http, email)
        reset = await reset_token(mail, email)
        done = await http.post(
            f"{AUTH}/reset-password", json={"newPassword": NEW_PASSWORD, "token": reset}
        )
        assert done.is_success
    expected = {
        "auth.identity.email_verification.requested.v1",
        "auth.identity.email_verification.verified.v1",
        "auth.identity.password_reset.requested.v1",
        "auth.identity.password_reset.completed.v1",
        "auth.identity.password.changed.v1",
        "auth.session.session.revoked.v1",
    }
    deadline = time.monotonic() + 10
    while True:
        conn = await asyncpg.connect(stack.database_url("audit"))
        try:
            rows = await conn.fetch(
                "SELECT type, payload::text AS payload FROM audit.entries WHERE user_id = $1",
                user["id"],
            )
        finally:
            await conn.close()
        if expected <= {row["type"] for row in rows} or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert expected <= {row["type"] for row in rows}
    for row in rows:
        assert verification not in row["payload"] and reset not in row["payload"]
        assert PASSWORD not in row["payload"] and NEW_PASSWORD not in row["payload"]
