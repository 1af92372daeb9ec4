"""The username plugin through the gateway (api.md §9.6): usernames on sign-up and update-user,
sign-in by username on the same identity path as email sign-in, and is-username-available,
with the answers of the Better-Auth 1.7.25 peer.

Every sign-up or sign-in has its own client, so its own client IP: those endpoints allow 3
requests per 10 s per IP (api.md §6)."""

import asyncio
import uuid
from typing import Any

import httpx

from authmesh_kit.stack.supervisor import Stack
from tests.accounts import USER_KEYS
from tests.conftest import browser, unique_email
from tests.rate_limits import assert_limit

PASSWORD = "correct horse battery"
AUTH = "/api/auth"
TAKEN = {
    "message": "Username is already taken. Please try another.",
    "code": "USERNAME_IS_ALREADY_TAKEN",
}
WRONG = {"message": "Invalid username or password", "code": "INVALID_USERNAME_OR_PASSWORD"}


def unique_username(prefix: str = "User") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def sign_up(stack: Stack, **fields: Any) -> httpx.Response:
    async with browser(stack) as http:
        body = {"name": "Ada", "email": unique_email(), "password": PASSWORD, **fields}
        return await http.post(f"{AUTH}/sign-up/email", json=body)


async def signed_up(stack: Stack, **fields: Any) -> dict[str, Any]:
    response = await sign_up(stack, **fields)
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


def answer(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


async def test_sign_up_stores_the_username_lower_cased_and_keeps_the_display_spelling(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    name = unique_username("Ada")
    response = await client.post(
        f"{AUTH}/sign-up/email",
        json={"name": "Ada", "email": unique_email(), "password": PASSWORD, "username": name},
    )
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert list(user) == USER_KEYS
    assert (user["username"], user["displayUsername"]) == (name.lower(), name)
    session = (await client.get(f"{AUTH}/get-session")).json()
    assert session["user"]["username"] == name.lower()
    assert session["user"]["displayUsername"] == name

    chosen = await signed_up(stack, username=unique_username(), displayUsername="Fancy Ada!")
    assert chosen["displayUsername"] == "Fancy Ada!"
    seeded = unique_username("Bob.X")
    from_display = await signed_up(stack, displayUsername=seeded)
    assert (from_display["username"], from_display["displayUsername"]) == (seeded.lower(), seeded)
    display_only = await signed_up(stack, displayUsername="ab")  # no valid username: kept apart
    assert (display_only["username"], display_only["displayUsername"]) == (None, "ab")
    neither = await signed_up(stack, username=None, displayUsername=None)
    assert (neither["username"], neither["displayUsername"]) == (None, None)


async def test_a_taken_username_refuses_the_sign_up_whatever_its_case(stack: Stack) -> None:
    name = unique_username()
    await signed_up(stack, username=name)
    email = unique_email()
    for taken in ({"username": name.upper()}, {"displayUsername": name.swapcase()}):
        refused = await sign_up(stack, email=email, **taken)
        assert answer(refused) == (400, TAKEN)
    # Nothing was created: the address is still free.
    assert (await sign_up(stack, email=email, username=unique_username())).status_code == 200


async def test_malformed_usernames_get_better_auths_answers_on_sign_up(stack: Stack) -> None:
    for username, code, message in (
        ("ab", "USERNAME_TOO_SHORT", "Username is too short"),
        ("", "USERNAME_TOO_SHORT", "Username is too short"),
        ("a" * 31, "USERNAME_TOO_LONG", "Username is too long"),
        ("a b c", "INVALID_USERNAME", "Username is invalid"),
        ("ééé", "INVALID_USERNAME", "Username is invalid"),
    ):
        refused = await sign_up(stack, username=username, password="short")
        # Better-Auth settles the username before the password's length.
        assert answer(refused) == (400, {"message": message, "code": code})
    for wrong_type in (5, True):
        refused = await sign_up(stack, username=wrong_type)
        assert answer(refused) == (
            422,
            {"message": "Failed to create user", "code": "FAILED_TO_CREATE_USER"},
        )
    # Better-Auth stores any display name as text; Authmesh wants a string, capped.
    for display, issue in (
        ({}, "Invalid input: expected string, received object"),
        ("x" * 257, "Too big: expected string to have <=256 characters"),
    ):
        refused = await sign_up(stack, displayUsername=display)
        assert answer(refused) == (
            400,
            {"message": f"[body.displayUsername] {issue}", "code": "VALIDATION_ERROR"},
        )


async def test_concurrent_sign_ups_for_one_username_create_one_user(stack: Stack) -> None:
    name = unique_username()
    answers = await asyncio.gather(*(sign_up(stack, username=name) for _ in range(5)))
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [200, 400, 400, 400, 400], [r.text for r in answers]
    assert all(r.json() == TAKEN for r in answers if r.status_code == 400)


async def test_sign_in_by_username_answers_like_email_sign_in(stack: Stack) -> None:
    name = unique_username("Sign")
    user = await signed_up(stack, username=name)
    async with browser(stack) as http:
        response = await http.post(
            f"{AUTH}/sign-in/username", json={"username": name.upper(), "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert list(body) == ["redirect", "token", "user"]
        assert body["redirect"] is False and body["user"]["id"] == user["id"]
        assert response.headers["set-auth-token"].startswith(body["token"] + ".")
        session = (await http.get(f"{AUTH}/get-session")).json()
        assert session["session"]["token"] == body["token"]
    async with browser(stack) as http:
        redirected = await http.post(
            f"{AUTH}/sign-in/username",
            json={
                "username": name,
                "password": PASSWORD,
                "callbackURL": "/dash",
                "rememberMe": False,
            },
        )
        assert redirected.status_code == 200, redirected.text
        assert list(redirected.json()) == ["redirect", "token", "url", "user"]
        assert redirected.json()["redirect"] is True and redirected.json()["url"] == "/dash"
        assert redirected.headers["location"] == "/dash"
        cookies = redirected.headers.get_list("set-cookie")
        assert any(line.startswith("better-auth.dont_remember=") for line in cookies)
        assert all("Max-Age" not in line for line in cookies)


async def test_sign_in_by_username_refusals(stack: Stack) -> None:
    name = unique_username()
    await signed_up(stack, username=name)

    async def sign_in(body: Any) -> httpx.Response:
        async with browser(stack) as http:
            return await http.post(f"{AUTH}/sign-in/username", json=body)

    for wrong in (
        {"username": name, "password": "not the password"},
        {"username": unique_username(), "password": PASSWORD},  # unknown: the same answer
        {"username": "", "password": PASSWORD},
        {"username": "ab", "password": ""},  # empty before the name's form
    ):
        assert answer(await sign_in(wrong)) == (401, WRONG)
    for malformed, code, message in (
        ("ab", "USERNAME_TOO_SHORT", "Username is too short"),
        ("a" * 31, "USERNAME_TOO_LONG", "Username is too long"),
        ("a b c", "INVALID_USERNAME", "Username is invalid"),
    ):
        refused = await sign_in({"username": malformed, "password": "x" * 200})
        assert answer(refused) == (422, {"message": message, "code": code})
    too_long = await sign_in({"username": name, "password": "x" * 129})
    assert answer(too_long) == (400, {"message": "Password too long", "code": "PASSWORD_TOO_LONG"})
    assert answer(await sign_in({})) == (
        400,
        {
            "message": "[body.username] Invalid input: expected string, received undefined; "
            "[body.password] Invalid input: expected string, received undefined",
            "code": "VALIDATION_ERROR",
        },
    )
    assert (await sign_in({"username": 5, "password": "x"})).json()["message"] == (
        "[body.username] Invalid input: expected string, received number"
    )
    foreign = await sign_in(
        {"username": name, "password": PASSWORD, "callbackURL": "https://evil.example/x"}
    )
    assert answer(foreign) == (
        403,
        {"message": "Invalid callbackURL", "code": "INVALID_CALLBACK_URL"},
    )


async def test_sign_in_by_username_allows_3_per_10s(client: httpx.AsyncClient) -> None:
    # No plugin rule covers it: the built-in /sign-in rule of api.md §6 applies.
    await assert_limit(
        client, "POST", f"{AUTH}/sign-in/username", 3, 10, {"username": "nobody", "password": "x"}
    )


async def test_is_username_available(stack: Stack, client: httpx.AsyncClient) -> None:
    name = unique_username()
    await signed_up(stack, username=name)

    async def available(body: Any) -> httpx.Response:
        return await client.post(f"{AUTH}/is-username-available", json=body)

    assert answer(await available({"username": name.upper()})) == (200, {"available": False})
    assert answer(await available({"username": unique_username()})) == (200, {"available": True})
    for malformed, code, message in (
        ("", "INVALID_USERNAME", "Username is invalid"),  # empty: invalid, not too short
        ("ab", "USERNAME_TOO_SHORT", "Username is too short"),
        ("a b", "INVALID_USERNAME", "Username is invalid"),
    ):
        assert answer(await available({"username": malformed})) == (
            422,
            {"message": message, "code": code},
        )
    assert answer(await available({})) == (
        400,
        {
            "message": "[body.username] Invalid input: expected string, received undefined",
            "code": "VALIDATION_ERROR",
        },
    )


async def test_update_user_changes_usernames(stack: Stack, client: httpx.AsyncClient) -> None:
    mine, theirs = unique_username("Mine"), unique_username("Theirs")
    response = await client.post(
        f"{AUTH}/sign-up/email",
        json={"name": "Ada", "email": unique_email(), "password": PASSWORD, "username": mine},
    )
    assert response.status_code == 200, response.text
    await signed_up(stack, username=theirs)

    async def update(body: Any) -> httpx.Response:
        return await client.post(f"{AUTH}/update-user", json=body)

    async def names() -> tuple[str | None, str | None]:
        user = (await client.get(f"{AUTH}/get-session")).json()["user"]
        return user["username"], user["displayUsername"]

    assert answer(await update({"username": mine.upper()})) == (200, {"status": True})  # own
    assert await names() == (mine.lower(), mine)
    renamed = unique_username("New")
    assert answer(await update({"username": renamed})) == (200, {"status": True})
    assert await names() == (renamed.lower(), mine)  # the display name stays
    assert answer(await update({"displayUsername": "Shiny"})) == (200, {"status": True})
    assert await names() == (renamed.lower(), "Shiny")
    assert answer(await update({"username": theirs.swapcase()})) == (400, TAKEN)
    assert answer(await update({"username": "ab"})) == (
        400,
        {"message": "Username is too short", "code": "USERNAME_TOO_SHORT"},
    )
    assert (await update({"username": 5})).json() == {
        "message": "[body.username] Invalid input: expected string, received number",
        "code": "VALIDATION_ERROR",
    }
    assert await names() == (renamed.lower(), "Shiny")
    assert answer(await update({"username": None, "displayUsername": None})) == (
        200,
        {"status": True},
    )
    assert await names() == (None, None)
    # The name given up is free for anyone again.
    assert (
        await client.post(f"{AUTH}/is-username-available", json={"username": renamed})
    ).json() == {"available": True}
