"""POST /delete-user and GET /delete-user/callback (api.md §9.1): deleted at once with the
password or a fresh session, otherwise through a mailed delete-account link that the user's
own session opens; every session of the user is revoked and the caller's cookies expire."""

import asyncio

import httpx
import pytest

from authmesh_kit.stack.supervisor import Stack
from tests.accounts import (
    AUTH,
    PASSWORD,
    TOKEN,
    age_sessions,
    delete_user,
    error,
    identity_rows,
    session_user,
    sign_in,
    sign_up,
)
from tests.audit import audit_payloads
from tests.conftest import TRUSTED_ORIGIN, browser, unique_email
from tests.mailbox import Mailbox
from tests.waiting import eventually

DELETED = {"success": True, "message": "User deleted"}
MAILED = {"success": True, "message": "Verification email sent"}


def expires_the_session_cookies(answer: httpx.Response) -> bool:
    """Better-Auth's `deleteSessionCookie`: each of the three expired, nothing set."""
    lines = answer.headers.get_list("set-cookie")
    expired = {line.split("=", 1)[0] for line in lines if "; Max-Age=0;" in line}
    names = {f"better-auth.{name}" for name in ("session_token", "session_data", "dont_remember")}
    return expired == names and all("; Max-Age=0;" in line for line in lines)


async def assert_gone(stack: Stack, user_id: str, email: str) -> None:
    [left] = await identity_rows(
        stack,
        "SELECT (SELECT count(*) FROM identity.users WHERE id = $1)"
        " + (SELECT count(*) FROM identity.accounts WHERE user_id = $1)"
        " + (SELECT count(*) FROM identity.one_time_tokens WHERE user_id = $1) AS n",
        user_id,
    )
    assert left["n"] == 0
    async with browser(stack) as http:
        assert error(await sign_in(http, email)) == (401, "INVALID_EMAIL_OR_PASSWORD")


async def test_the_password_deletes_the_user_and_every_session(stack: Stack) -> None:
    email = unique_email()
    async with browser(stack) as laptop, browser(stack) as phone:
        user = (await sign_up(laptop, email))["user"]
        assert (await sign_in(phone, email)).status_code == 200
        phone_cookie = phone.cookies["better-auth.session_token"]
        await age_sessions(stack, user["id"])  # the password is proof enough, fresh or not
        wrong = await delete_user(laptop, password="not the password")
        assert wrong.json() == {"message": "Invalid password", "code": "INVALID_PASSWORD"}
        assert wrong.status_code == 400
        too_long = await delete_user(laptop, password="x" * 129)
        assert error(too_long) == (400, "PASSWORD_TOO_LONG")
        assert await session_user(laptop) is not None

        deleted = await delete_user(laptop, password=PASSWORD, callbackURL="/bye")
        assert deleted.status_code == 200 and deleted.json() == DELETED
        assert expires_the_session_cookies(deleted)
        assert await session_user(phone) is None
        async with browser(stack) as replay:
            replay.cookies.set("better-auth.session_token", phone_cookie)
            assert await session_user(replay) is None
    await assert_gone(stack, user["id"], email)
    [payload] = await eventually(
        lambda: audit_payloads(stack, user["id"], "auth.identity.user.deleted.v1"), bool
    )
    assert '"method": "password"' in payload and PASSWORD not in payload


@pytest.mark.parametrize("body", [{}, {"password": "", "token": ""}])
async def test_a_fresh_session_deletes_without_the_password(
    stack: Stack, body: dict[str, str]
) -> None:
    email = unique_email()
    async with browser(stack) as http:
        user = (await sign_up(http, email))["user"]
        answer = await delete_user(http, **body)  # empty strings are no proof, as in Better-Auth
        assert answer.json() == DELETED
        assert await session_user(http) is None
    await assert_gone(stack, user["id"], email)


async def test_an_old_session_gets_a_link_that_only_the_users_session_can_use(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http, browser(stack) as eve, browser(stack) as anonymous:
        user = (await sign_up(http, email))["user"]
        await sign_up(eve, unique_email())
        await age_sessions(stack, user["id"])
        mailed = await delete_user(http, callbackURL="/bye")
        assert mailed.status_code == 200 and mailed.json() == MAILED
        assert "set-cookie" not in mailed.headers
        message = await mail.next(email, "delete-account")
        token = message.fields["token"]
        assert TOKEN.match(token) and dict(message.fields).keys() == {"token", "url"}
        assert message.fields["url"] == (
            f"{stack.gateway_url}{AUTH}/delete-user/callback?token={token}&callbackURL=%2Fbye"
        )
        link = message.fields["url"].removeprefix(stack.gateway_url)
        assert await session_user(http) is not None  # nothing deleted yet

        no_session = await anonymous.get(link)
        assert no_session.status_code == 404
        assert no_session.json() == {
            "message": "Failed to get user info",
            "code": "FAILED_TO_GET_USER_INFO",
        }
        assert error(await eve.get(link)) == (404, "INVALID_TOKEN")
        assert await session_user(eve) is not None

        callback = f"{TRUSTED_ORIGIN}/goodbye"
        done = await http.get(
            f"{AUTH}/delete-user/callback", params={"token": token, "callbackURL": callback}
        )
        assert done.status_code == 302 and done.content == b""
        assert done.headers["location"] == callback
        assert expires_the_session_cookies(done)
        assert await session_user(http) is None
    await assert_gone(stack, user["id"], email)


async def test_the_mailed_token_also_works_in_the_body_and_only_once(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http, browser(stack) as phone:
        user = (await sign_up(http, email))["user"]
        assert (await sign_in(phone, email)).status_code == 200
        await age_sessions(stack, user["id"])
        assert (await delete_user(http)).json() == MAILED
        first = (await mail.next(email, "delete-account")).fields["token"]
        assert (await delete_user(http)).json() == MAILED
        token = (await mail.next(email, "delete-account")).fields["token"]
        assert error(await delete_user(http, token=first)) == (404, "INVALID_TOKEN")  # replaced
        assert error(await delete_user(http, token="A" * 32)) == (404, "INVALID_TOKEN")
        deleted = await delete_user(phone, token=token)
        assert deleted.json() == DELETED
        assert await session_user(http) is None
    await assert_gone(stack, user["id"], email)


async def test_a_delete_link_used_20_times_at_once_deletes_once(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as http:
        user = (await sign_up(http, email))["user"]
        await age_sessions(stack, user["id"])
        assert (await delete_user(http)).json() == MAILED
        link = (await mail.next(email, "delete-account")).fields["url"]
        answers = await asyncio.gather(
            *(http.get(link.removeprefix(stack.gateway_url)) for _ in range(20))
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [302] + [404] * 19, statuses
    [payload] = await eventually(
        lambda: audit_payloads(stack, user["id"], "auth.identity.user.deleted.v1"), bool
    )
    assert '"method": "token"' in payload and link.split("token=")[1][:32] not in payload


async def test_delete_user_answers_bad_input_as_better_auth(client: httpx.AsyncClient) -> None:
    no_body = await client.post(f"{AUTH}/delete-user")
    assert no_body.json() == {
        "message": "[body] Invalid input: expected object, received undefined",
        "code": "VALIDATION_ERROR",
    }
    typed = await delete_user(client, password=5)
    assert typed.json()["message"] == (
        "[body.password] Invalid input: expected string, received number"
    )
    assert error(await delete_user(client)) == (401, "UNAUTHORIZED")
    assert error(await delete_user(client, callbackURL="https://evil.example/x")) == (
        403,
        "INVALID_CALLBACK_URL",
    )
    assert (await client.get(f"{AUTH}/delete-user")).status_code == 404
    missing = await client.get(f"{AUTH}/delete-user/callback")
    assert missing.json() == {
        "message": "[query.token] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    foreign = await client.get(
        f"{AUTH}/delete-user/callback",
        params={"token": "A" * 32, "callbackURL": "//evil.example"},
    )
    assert error(foreign) == (403, "INVALID_CALLBACK_URL")


@pytest.mark.parametrize("token", ["", "x", "A" * 32, "é" * 32])
async def test_bad_delete_tokens_are_404_never_a_500(stack: Stack, token: str) -> None:
    async with browser(stack) as http:
        await sign_up(http, unique_email())
        answer = await http.get(f"{AUTH}/delete-user/callback", params={"token": token})
        assert error(answer) == (404, "INVALID_TOKEN")
        assert await session_user(http) is not None
