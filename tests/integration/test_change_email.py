"""POST /change-email and its confirmation through GET /verify-email (api.md §9.1): always
confirmed at the new address with an opaque single-use `email-change` token; the old address
is told, its outstanding links die, and the user's sessions are revoked, the confirming
browser's replaced by a new one (issue 3, scope 5)."""

import asyncio
import hashlib
from typing import Any

import httpx
import pytest

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
from tests.audit import audit_payloads
from tests.conftest import TRUSTED_ORIGIN, browser, next_client_ip, unique_email
from tests.mailbox import Mailbox
from tests.waiting import eventually


async def change_email(http: httpx.AsyncClient, new_email: str, **extra: Any) -> httpx.Response:
    # /change-email allows 3 requests per 10 s per IP: each call from an IP of its own.
    http.headers["X-Forwarded-For"] = next_client_ip()
    return await http.post(f"{AUTH}/change-email", json={"newEmail": new_email, **extra})


async def change_token(http: httpx.AsyncClient, mail: Mailbox, new_email: str) -> str:
    answer = await change_email(http, new_email)
    assert answer.status_code == 200 and answer.json() == {"status": True}, answer.text
    return await verification_token(mail, new_email)


async def test_a_change_confirmed_at_the_new_address_moves_the_account(
    stack: Stack, mail: Mailbox
) -> None:
    old, new = unique_email(), unique_email()
    async with browser(stack) as laptop, browser(stack) as phone:
        user = (await sign_up(laptop, old))["user"]
        assert (await sign_in(phone, old)).status_code == 200
        answer = await change_email(laptop, new.upper(), callbackURL="/moved")
        assert answer.status_code == 200 and answer.json() == {"status": True}
        message = await mail.next(new, "verify-email")
        token = message.fields["token"]
        assert TOKEN.match(token) and message.user_id == user["id"]
        assert message.fields["url"] == (
            f"{stack.gateway_url}{AUTH}/verify-email?token={token}&callbackURL=%2Fmoved"
        )
        [row] = await identity_rows(
            stack,
            "SELECT * FROM identity.one_time_tokens WHERE user_id = $1 AND purpose = $2",
            user["id"],
            "email-change",
        )
        assert row["email"] == new
        assert bytes(row["token_hash"]) == hashlib.sha256(f"email-change:{token}".encode()).digest()
        # Nothing changed before the confirmation.
        assert (await session_user(laptop) or {})["email"] == old

        old_cookie = laptop.cookies["better-auth.session_token"]
        confirmed = await laptop.get(f"{AUTH}/verify-email", params={"token": token})
        assert confirmed.status_code == 200, confirmed.text
        body = confirmed.json()
        assert body["status"] is True
        assert (body["user"]["id"], body["user"]["email"], body["user"]["emailVerified"]) == (
            user["id"],
            new,
            True,
        )
        # The confirming browser has a new session; every older one is gone.
        assert laptop.cookies["better-auth.session_token"] != old_cookie
        assert (await session_user(laptop) or {})["email"] == new
        assert await session_user(phone) is None
        async with browser(stack) as replay:
            replay.cookies.set("better-auth.session_token", old_cookie)
            assert await session_user(replay) is None

        notice = await mail.next(old, "email-changed")
        assert dict(notice.fields) == {"newEmail": new}
        assert error(await sign_in(phone, old)) == (401, "INVALID_EMAIL_OR_PASSWORD")
        assert (await sign_in(phone, new)).status_code == 200
        reused = await laptop.get(f"{AUTH}/verify-email", params={"token": token})
        assert error(reused) == (401, "INVALID_TOKEN")

    [payload] = await eventually(
        lambda: audit_payloads(stack, user["id"], "auth.identity.email.changed.v1"), bool
    )
    assert token not in payload and new not in payload and old not in payload


async def test_change_email_answers_bad_input_as_better_auth(stack: Stack, mail: Mailbox) -> None:
    email, taken = unique_email(), unique_email()
    async with browser(stack) as http, browser(stack) as anonymous:
        await sign_up(anonymous, taken)
        await sign_up(http, email)
        await anonymous.post(f"{AUTH}/sign-out")
        assert error(await change_email(anonymous, unique_email())) == (401, "UNAUTHORIZED")
        missing = await http.post(f"{AUTH}/change-email", json={})
        assert missing.json() == {
            "message": "[body.newEmail] Invalid input: expected string, received undefined",
            "code": "VALIDATION_ERROR",
        }
        invalid = await change_email(http, "not-an-email")
        assert invalid.json() == {
            "message": "[body.newEmail] Invalid email address",
            "code": "VALIDATION_ERROR",
        }
        same = await change_email(http, email.upper())
        assert same.status_code == 400 and same.json() == {"message": "Email is the same"}
        foreign = await change_email(http, unique_email(), callbackURL="https://evil.example/x")
        assert error(foreign) == (403, "INVALID_CALLBACK_URL")
        # A taken address: the same answer, and no mail to it.
        silent = await change_email(http, taken)
        assert silent.status_code == 200 and silent.json() == {"status": True}
        await asyncio.sleep(1)
        assert [m.type for m in mail.all_for(taken)] == ["verify-email"]  # its sign-up's only
        assert (await session_user(http) or {})["email"] == email


async def test_a_change_link_with_a_callback_redirects_and_refuses_another_users_session(
    stack: Stack, mail: Mailbox
) -> None:
    email, new = unique_email(), unique_email()
    async with browser(stack) as owner, browser(stack) as eve, browser(stack) as mailer:
        await sign_up(owner, email)
        await sign_up(eve, unique_email())
        token = await change_token(owner, mail, new)
        callback = f"{TRUSTED_ORIGIN}/settings?tab=email"
        params = {"token": token, "callbackURL": callback}
        refused = await eve.get(f"{AUTH}/verify-email", params={"token": token})
        assert error(refused) == (401, "INVALID_USER")
        redirected = await eve.get(f"{AUTH}/verify-email", params=params)
        assert redirected.status_code == 302
        assert redirected.headers["location"] == f"{callback}&error=INVALID_USER"
        assert (await session_user(eve) or {})["email"] != new
        # Refused, the link is still good, and opened without any session it works: no new
        # session for that browser (the peer signs nobody in here), and the owner's is gone.
        done = await mailer.get(f"{AUTH}/verify-email", params=params)
        assert done.status_code == 302 and done.content == b""
        assert done.headers["location"] == callback
        assert "set-cookie" not in done.headers
        assert await session_user(mailer) is None
        assert await session_user(owner) is None
        assert (await sign_in(owner, new)).status_code == 200


async def test_a_change_link_for_an_address_taken_since_changes_nothing(
    stack: Stack, mail: Mailbox
) -> None:
    email, new = unique_email(), unique_email()
    async with browser(stack) as http, browser(stack) as other:
        await sign_up(http, email)
        token = await change_token(http, mail, new)
        await sign_up(other, new)
        taken = await http.get(f"{AUTH}/verify-email", params={"token": token})
        assert taken.status_code == 422
        assert taken.json() == {
            "message": "User already exists. Use another email.",
            "code": "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
        }
        redirected = await http.get(
            f"{AUTH}/verify-email", params={"token": token, "callbackURL": "/s"}
        )
        assert redirected.headers["location"] == "/s?error=USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
        assert (await session_user(http) or {})["email"] == email


async def test_links_mailed_to_the_old_address_die_with_the_change(
    stack: Stack, mail: Mailbox
) -> None:
    email, new = unique_email(), unique_email()
    async with browser(stack) as http:
        user = (await sign_up(http, email))["user"]
        verification = await verification_token(mail, email)
        await request_reset(http, email)
        reset = await reset_token(mail, email)
        token = await change_token(http, mail, new)
        assert (await http.get(f"{AUTH}/verify-email", params={"token": token})).status_code == 200
        assert error(await http.get(f"{AUTH}/verify-email", params={"token": verification})) == (
            401,
            "INVALID_TOKEN",
        )
        stale = await http.post(
            f"{AUTH}/reset-password", json={"newPassword": "another password", "token": reset}
        )
        assert error(stale) == (400, "INVALID_TOKEN")
        live = await identity_rows(
            stack,
            "SELECT purpose FROM identity.one_time_tokens"
            " WHERE user_id = $1 AND consumed_at IS NULL",
            user["id"],
        )
        assert live == []
        assert (await sign_in(http, new, PASSWORD)).status_code == 200


async def test_a_change_link_used_20_times_at_once_changes_once(
    stack: Stack, mail: Mailbox
) -> None:
    email, new = unique_email(), unique_email()
    async with browser(stack) as http:
        await sign_up(http, email)
        token = await change_token(http, mail, new)
    async with browser(stack) as anonymous:
        answers = await asyncio.gather(
            *(anonymous.get(f"{AUTH}/verify-email", params={"token": token}) for _ in range(20))
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [401] * 19, statuses
    await asyncio.sleep(1)
    assert [m.type for m in mail.all_for(email)].count("email-changed") == 1


@pytest.mark.parametrize("token", ["", "x", "A" * 32, "A" * 33])
async def test_malformed_or_unknown_change_links_are_invalid_never_a_500(
    client: httpx.AsyncClient, token: str
) -> None:
    answer = await client.get(f"{AUTH}/verify-email", params={"token": token})
    assert error(answer) == (401, "INVALID_TOKEN")
