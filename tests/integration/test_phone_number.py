"""The phoneNumber plugin through the gateway (api.md §9.7): texted codes that verify a number
and sign its user up or in, attaching a number to a signed-in user, sign-in by phone number and
password, and password reset by a texted code; with the answers of the Better-Auth 1.7.25 peer.

Codes are read where the real delivery puts them: identity seals an SMS message, notify sends it
and, in test mode, appends it to the test outbox served at /__test/outbox (test-outbox.md). The
/phone-number endpoints allow 10 requests per 60 s per client IP, so each test keeps its counts
low or uses several clients.
"""

import asyncio
import hashlib
import secrets
from typing import Any

import httpx

from authmesh_kit.stack.supervisor import Stack
from tests.accounts import identity_rows
from tests.conftest import browser, unique_email
from tests.rate_limits import assert_limit
from tests.waiting import eventually

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"
AUTH = "/api/auth"
CODE_SENT = {"message": "code sent"}


def unique_phone() -> str:
    return "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))


def error(status: int, code: str, message: str) -> tuple[int, dict[str, str]]:
    return status, {"message": message, "code": code}


OTP_NOT_FOUND = error(400, "OTP_NOT_FOUND", "OTP not found")
INVALID_OTP = error(400, "INVALID_OTP", "Invalid OTP")
TOO_MANY_ATTEMPTS = error(403, "TOO_MANY_ATTEMPTS", "Too many attempts")
WRONG_PASSWORD = error(401, "INVALID_PHONE_NUMBER_OR_PASSWORD", "Invalid phone number or password")


def answer(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


async def texts(http: httpx.AsyncClient, phone: str, type_: str) -> list[dict[str, Any]]:
    response = await http.get("/__test/outbox", params={"to": phone, "type": type_, "all": "1"})
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


async def texted_code(http: httpx.AsyncClient, phone: str, type_: str, nth: int = 1) -> str:
    """The code of the `nth` text of `type_` that notify delivered to `phone`."""
    messages = await eventually(lambda: texts(http, phone, type_), lambda found: len(found) >= nth)
    assert len(messages) >= nth, f"no text {nth} of {type_} to {phone}"
    message = messages[nth - 1]
    assert message["to"] == phone and set(message) == {"to", "type", "otp", "createdAt"}
    code: str = message["otp"]
    assert len(code) == 6 and code.isdigit()
    return code


async def send_code(http: httpx.AsyncClient, phone: str, nth: int = 1) -> str:
    sent = await http.post(f"{AUTH}/phone-number/send-otp", json={"phoneNumber": phone})
    assert answer(sent) == (200, CODE_SENT)
    return await texted_code(http, phone, "phone-otp", nth)


async def verify(http: httpx.AsyncClient, phone: str, code: str, **extra: Any) -> httpx.Response:
    body = {"phoneNumber": phone, "code": code, **extra}
    return await http.post(f"{AUTH}/phone-number/verify", json=body)


async def session_user(http: httpx.AsyncClient) -> dict[str, Any] | None:
    body = (await http.get(f"{AUTH}/get-session")).json()
    return None if body is None else dict(body["user"])


async def signed_up_by_phone(stack: Stack, phone: str) -> dict[str, Any]:
    async with browser(stack) as http:
        response = await verify(http, phone, await send_code(http, phone))
        assert response.status_code == 200, response.text
        user: dict[str, Any] = response.json()["user"]
        return user


# --- verification, sign-up and sign-in by code ---------------------------------------------


async def test_a_verified_number_signs_its_new_user_up_and_in(stack: Stack) -> None:
    phone = unique_phone()
    async with browser(stack) as http:
        code = await send_code(http, phone)
        # Only the hash of purpose, number and code is kept.
        [row] = await identity_rows(
            stack, "SELECT * FROM identity.one_time_codes WHERE identifier = $1", phone
        )
        assert row["purpose"] == "phone-otp:verification" and row["user_id"] is None
        assert code not in str(dict(row))
        assert (
            bytes(row["code_hash"])
            == hashlib.sha256(f"phone-otp:verification\x00{phone}\x00{code}".encode()).digest()
        )

        response = await verify(http, phone, code)
        assert response.status_code == 200, response.text
        body = response.json()
        assert list(body) == ["status", "token", "user"] and body["status"] is True
        user = body["user"]
        digits = phone.removeprefix("+")
        assert (user["name"], user["email"]) == (phone, f"{digits}@phone.invalid")
        assert (user["phoneNumber"], user["phoneNumberVerified"]) == (phone, True)
        assert user["emailVerified"] is False
        assert any(
            line.startswith("better-auth.session_token=")
            for line in response.headers.get_list("set-cookie")
        )
        session = (await http.get(f"{AUTH}/get-session")).json()
        assert session["session"]["token"] == body["token"]
        assert session["user"]["id"] == user["id"]
        assert answer(await verify(http, phone, code)) == OTP_NOT_FOUND  # used up
        # Nobody can take the placeholder address first: identity refuses .invalid addresses.
        taken_first = await http.post(
            f"{AUTH}/sign-up/email",
            json={"name": "Eve", "email": user["email"], "password": PASSWORD},
        )
        assert answer(taken_first) == error(400, "INVALID_EMAIL", "Invalid email")

    async with browser(stack) as http:
        again = await verify(http, phone, await send_code(http, phone, nth=2))
        assert again.status_code == 200, again.text
        assert again.json()["user"]["id"] == user["id"]  # the same user, signed in
        quiet = await verify(http, phone, await send_code(http, phone, nth=3), disableSession=True)
        assert quiet.status_code == 200, quiet.text
        assert quiet.json()["token"] is None and quiet.json()["user"]["id"] == user["id"]
        assert "set-cookie" not in quiet.headers


async def test_codes_refuse_wrong_guesses_expiry_and_other_numbers(stack: Stack) -> None:
    phone, other = unique_phone(), unique_phone()
    async with browser(stack) as http:
        assert answer(await verify(http, phone, "123456")) == OTP_NOT_FOUND  # none sent
        code = await send_code(http, phone)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        assert answer(await verify(http, other, code)) == OTP_NOT_FOUND  # bound to its number
        for _ in range(3):
            assert answer(await verify(http, phone, wrong)) == INVALID_OTP
        # Three wrong guesses kill the code, even for the right one.
        assert answer(await verify(http, phone, code)) == TOO_MANY_ATTEMPTS
    async with browser(stack) as http:
        code = await send_code(http, phone, nth=2)
        await identity_rows(
            stack,
            "UPDATE identity.one_time_codes SET expires_at = now() - interval '1 second'"
            " WHERE identifier = $1",
            phone,
        )
        assert answer(await verify(http, phone, code)) == error(400, "OTP_EXPIRED", "OTP expired")
        assert await session_user(http) is None


async def test_of_concurrent_uses_of_one_code_exactly_one_succeeds(stack: Stack) -> None:
    phone = unique_phone()
    async with browser(stack) as http:
        code = await send_code(http, phone)
    clients = [browser(stack) for _ in range(8)]
    try:
        answers = await asyncio.gather(*(verify(http, phone, code) for http in clients))
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))
    assert sorted(r.status_code for r in answers) == [200] + [400] * 7, [r.text for r in answers]
    users = await identity_rows(
        stack, "SELECT id FROM identity.users WHERE phone_number = $1", phone
    )
    assert len(users) == 1


async def test_send_otp_wants_an_e164_number(client: httpx.AsyncClient) -> None:
    for number in ("", "abc", "15551234567", "+1 555 123 4567", "+0123456789"):
        refused = await client.post(f"{AUTH}/phone-number/send-otp", json={"phoneNumber": number})
        assert answer(refused) == error(400, "INVALID_PHONE_NUMBER", "Invalid phone number")
    assert answer(await client.post(f"{AUTH}/phone-number/send-otp", json={})) == (
        400,
        {
            "message": "[body.phoneNumber] Invalid input: expected string, received undefined",
            "code": "VALIDATION_ERROR",
        },
    )
    odd = await client.post(
        f"{AUTH}/phone-number/verify",
        json={"phoneNumber": "+1", "code": "1", "disableSession": "x", "updatePhoneNumber": 1},
    )
    assert odd.json()["message"] == (
        "[body.disableSession] Invalid input: expected boolean, received string; "
        "[body.updatePhoneNumber] Invalid input: expected boolean, received number"
    )
    array = await client.post(f"{AUTH}/phone-number/verify", json=[])
    assert array.json()["message"] == (
        "[body] Invalid input: expected object, received array; "
        "[body] Invalid input: expected record, received array"
    )


# --- a number for a signed-in user ----------------------------------------------------------


async def test_update_phone_number_gives_the_number_to_the_session_user(stack: Stack) -> None:
    phone = unique_phone()
    async with browser(stack) as http:
        signed = await http.post(
            f"{AUTH}/sign-up/email",
            json={"name": "Ada", "email": unique_email(), "password": PASSWORD},
        )
        token = signed.json()["token"]
        code = await send_code(http, phone)
        async with browser(stack) as anonymous:
            # No session: Better-Auth's 401; the code stays usable (Better-Auth spends it).
            refused = await verify(anonymous, phone, code, updatePhoneNumber=True)
            assert answer(refused) == error(401, "USER_NOT_FOUND", "User not found")
        given = await verify(http, phone, code, updatePhoneNumber=True)
        assert given.status_code == 200, given.text
        assert given.json()["token"] == token  # the same session, no new cookie
        assert "set-cookie" not in given.headers
        user = await session_user(http)
        assert user is not None
        assert (user["phoneNumber"], user["phoneNumberVerified"]) == (phone, True)
        assert user["id"] == signed.json()["user"]["id"]
        # Now the number signs that user in.
        async with browser(stack) as other_device:
            by_code = await verify(other_device, phone, await send_code(other_device, phone, 2))
            assert by_code.json()["user"]["id"] == user["id"]

        # Better-Auth refuses a number any user has, the caller's own included.
        taken = await verify(http, phone, await send_code(http, phone, 3), updatePhoneNumber=True)
        assert answer(taken) == error(400, "PHONE_NUMBER_EXIST", "Phone number already exists")

        # update-user never sets a number; null drops it.
        set_directly = await http.post(f"{AUTH}/update-user", json={"phoneNumber": unique_phone()})
        assert answer(set_directly) == error(
            400, "PHONE_NUMBER_CANNOT_BE_UPDATED", "Phone number cannot be updated"
        )
        dropped = await http.post(f"{AUTH}/update-user", json={"phoneNumber": None})
        assert answer(dropped) == (200, {"status": True})
        assert (await session_user(http) or {})["phoneNumber"] is None


async def test_sign_up_cannot_set_a_phone_number(client: httpx.AsyncClient) -> None:
    refused = await client.post(
        f"{AUTH}/sign-up/email",
        json={
            "name": "A",
            "email": unique_email(),
            "password": PASSWORD,
            "phoneNumber": "+15550001",
        },
    )
    assert answer(refused) == error(
        400, "PHONE_NUMBER_CANNOT_BE_SET", "Phone number can only be set by verifying it"
    )


# --- password sign-in and reset by phone ----------------------------------------------------


async def test_password_reset_by_text_then_sign_in_by_phone_number(stack: Stack) -> None:
    phone = unique_phone()
    user = await signed_up_by_phone(stack, phone)
    async with browser(stack) as http:

        async def sign_in(password: str) -> httpx.Response:
            body = {"phoneNumber": phone, "password": password}
            return await http.post(f"{AUTH}/sign-in/phone-number", json=body)

        # Signed up by a code: no password yet.
        assert answer(await sign_in(PASSWORD)) == WRONG_PASSWORD
        reset = await http.post(
            f"{AUTH}/phone-number/request-password-reset", json={"phoneNumber": phone}
        )
        assert answer(reset) == (200, {"status": True})
        code = await texted_code(http, phone, "phone-reset-otp")

        async def reset_password(otp: str, password: str = NEW_PASSWORD) -> httpx.Response:
            body = {"otp": otp, "phoneNumber": phone, "newPassword": password}
            return await http.post(f"{AUTH}/phone-number/reset-password", json=body)

        assert answer(await reset_password(code, "short")) == error(
            400, "PASSWORD_TOO_SHORT", "Password too short"
        )
        verification = await send_code(http, phone)
        assert answer(await reset_password(verification)) == INVALID_OTP  # bound to its purpose
        assert answer(await reset_password(code)) == (200, {"status": True})
        assert answer(await reset_password(code)) == OTP_NOT_FOUND  # used up

        signed_in = await sign_in(NEW_PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        assert list(signed_in.json()) == ["token", "user"]
        assert signed_in.json()["user"]["id"] == user["id"]
        assert (await session_user(http) or {})["id"] == user["id"]
        assert answer(await sign_in(PASSWORD)) == WRONG_PASSWORD


async def test_a_reset_by_text_revokes_sessions_and_email_reset_links(stack: Stack) -> None:
    phone, email = unique_phone(), unique_email()
    async with browser(stack) as laptop, browser(stack) as public:
        signed = await laptop.post(
            f"{AUTH}/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        given = await verify(laptop, phone, await send_code(laptop, phone), updatePhoneNumber=True)
        assert given.status_code == 200, given.text
        emailed = await public.post(f"{AUTH}/request-password-reset", json={"email": email})
        assert emailed.status_code == 200
        link = await eventually(
            lambda: public.get("/__test/outbox", params={"to": email, "type": "reset-password"}),
            lambda response: response.status_code == 200,
        )
        await public.post(
            f"{AUTH}/phone-number/request-password-reset", json={"phoneNumber": phone}
        )
        code = await texted_code(public, phone, "phone-reset-otp")
        done = await public.post(
            f"{AUTH}/phone-number/reset-password",
            json={"otp": code, "phoneNumber": phone, "newPassword": NEW_PASSWORD},
        )
        assert answer(done) == (200, {"status": True})
        assert await session_user(laptop) is None
        stale = await public.post(
            f"{AUTH}/reset-password",
            json={"newPassword": PASSWORD, "token": link.json()["token"]},
        )
        assert answer(stale) == error(400, "INVALID_TOKEN", "Invalid token")
        by_email = await public.post(
            f"{AUTH}/sign-in/email", json={"email": email, "password": NEW_PASSWORD}
        )
        assert by_email.status_code == 200, by_email.text


async def test_reset_requests_tell_nothing_about_unknown_numbers(
    client: httpx.AsyncClient,
) -> None:
    for number in (unique_phone(), "not a number"):
        asked = await client.post(
            f"{AUTH}/phone-number/request-password-reset", json={"phoneNumber": number}
        )
        assert answer(asked) == (200, {"status": True})
    unknown = unique_phone()
    await client.post(f"{AUTH}/phone-number/request-password-reset", json={"phoneNumber": unknown})
    await asyncio.sleep(1)
    assert await texts(client, unknown, "phone-reset-otp") == []
    never_sent = await client.post(
        f"{AUTH}/phone-number/reset-password",
        json={"otp": "123456", "phoneNumber": unknown, "newPassword": NEW_PASSWORD},
    )
    assert answer(never_sent) == OTP_NOT_FOUND


async def test_sign_in_by_phone_number_refusals(client: httpx.AsyncClient) -> None:
    async def sign_in(body: Any) -> httpx.Response:
        return await client.post(f"{AUTH}/sign-in/phone-number", json=body)

    assert answer(await sign_in({"phoneNumber": unique_phone(), "password": PASSWORD})) == (
        WRONG_PASSWORD
    )
    assert answer(await sign_in({"phoneNumber": "555", "password": PASSWORD})) == error(
        400, "INVALID_PHONE_NUMBER", "Invalid phone number"
    )
    assert answer(await sign_in({})) == (
        400,
        {
            "message": "[body.phoneNumber] Invalid input: expected string, received undefined; "
            "[body.password] Invalid input: expected string, received undefined",
            "code": "VALIDATION_ERROR",
        },
    )


async def test_sign_in_by_phone_number_allows_3_per_10s(client: httpx.AsyncClient) -> None:
    # `/sign-in/phone-number` is no `/phone-number…` path: the built-in /sign-in rule applies.
    body = {"phoneNumber": unique_phone(), "password": PASSWORD}
    await assert_limit(client, "POST", f"{AUTH}/sign-in/phone-number", 3, 10, body)


async def test_phone_number_verify_allows_10_per_60s(client: httpx.AsyncClient) -> None:
    body = {"phoneNumber": unique_phone(), "code": "123456"}
    await assert_limit(client, "POST", f"{AUTH}/phone-number/verify", 10, 60, body)
