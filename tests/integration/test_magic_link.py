"""Better-Auth's magicLink plugin through the gateway (api.md §9.5): single-use sign-in links
mailed by notify, built from the configured base URL, their callback URLs held to the trusted
origins, with Better-Auth's bodies, redirects and limits.

Links are read where the contract delivers them: sealed notify messages on NATS, opened with
the stack's key ring (tests/mailbox.py). Both endpoints allow 5 requests a minute per client IP.
"""

import asyncio
import hashlib
import json
import re
import time
from typing import Any

import asyncpg
import httpx
import pytest

from authmesh_kit.stack.supervisor import Stack
from tests.conftest import TRUSTED_ORIGIN, browser, next_client_ip, unique_email
from tests.mailbox import Mailbox

AUTH = "/api/auth"
PASSWORD = "correct horse battery"
TOKEN = re.compile(r"^[A-Za-z0-9]{32}$")
RATE_LIMITED = {"message": "Too many requests. Please try again later."}


async def ask_for_link(http: httpx.AsyncClient, email: str, **extra: Any) -> None:
    response = await http.post(f"{AUTH}/sign-in/magic-link", json={"email": email, **extra})
    assert response.status_code == 200, response.text
    assert response.json() == {"status": True}


async def mailed_link(mail: Mailbox, email: str) -> tuple[str, str]:
    """The token and the URL of the newest link to `email`."""
    message = await mail.next(email, "magic-link")
    assert dict(message.fields).keys() == {"token", "url"}
    assert TOKEN.match(message.fields["token"])
    return str(message.fields["token"]), str(message.fields["url"])


async def open_link(http: httpx.AsyncClient, token: str, **query: str) -> httpx.Response:
    return await http.get(f"{AUTH}/magic-link/verify", params={"token": token, **query})


async def session_user(http: httpx.AsyncClient) -> dict[str, Any] | None:
    response = await http.get(f"{AUTH}/get-session", params={"disableCookieCache": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    return None if body is None else dict(body["user"])


async def sign_up(http: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await http.post(
        f"{AUTH}/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


def error(response: httpx.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("code")


# --- asking for a link ---------------------------------------------------------------------


async def test_the_link_is_built_from_the_base_url_and_stored_hashed(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    response = await client.post(
        f"{AUTH}/sign-in/magic-link",
        json={
            "email": email.upper(),
            "name": "Ada",
            "callbackURL": "/dash",
            "newUserCallbackURL": "/welcome?a=1 b~*",
            "errorCallbackURL": f"{TRUSTED_ORIGIN}/err",
            "metadata": {"campaign": "spring"},
        },
        headers=forged,
    )
    assert (response.status_code, response.json()) == (200, {"status": True})
    message = await mail.next(email, "magic-link")
    token = message.fields["token"]
    assert message.fields["url"] == (
        f"{stack.gateway_url}{AUTH}/magic-link/verify?token={token}&callbackURL=%2Fdash"
        "&newUserCallbackURL=%2Fwelcome%3Fa%3D1+b%7E*"
        "&errorCallbackURL=http%3A%2F%2Flocalhost%3A3000%2Ferr"
    )
    remaining = message.expires_at.ToSeconds() - time.time()
    assert 250 < remaining <= 300
    conn = await asyncpg.connect(stack.database_url("identity"))
    try:
        [row] = await conn.fetch(
            "SELECT * FROM identity.one_time_tokens WHERE email = $1 AND purpose = 'magic-link'",
            email,
        )
    finally:
        await conn.close()
    assert row["user_id"] is None and row["new_user_name"] == "Ada"
    assert bytes(row["token_hash"]) == hashlib.sha256(f"magic-link:{token}".encode()).digest()
    assert all(token not in str(value) for value in dict(row).values())


async def test_asking_tells_nothing_about_the_address(
    client: httpx.AsyncClient, mail: Mailbox
) -> None:
    known, unknown = unique_email(), unique_email()
    await sign_up(client, known)
    for email in (known, unknown):
        await ask_for_link(client, email)
        await mailed_link(mail, email)  # both get a link: either may sign in


async def test_bad_input_gets_better_auths_answers(client: httpx.AsyncClient) -> None:
    path = f"{AUTH}/sign-in/magic-link"
    cases = [
        ({}, "[body.email] Invalid input: expected string, received undefined"),
        ({"email": "bad"}, "[body.email] Invalid email address"),
        (
            {"email": unique_email(), "name": 5},
            "[body.name] Invalid input: expected string, received number",
        ),
        (
            {"email": unique_email(), "metadata": 5},
            "[body.metadata] Invalid input: expected record, received number",
        ),
        (
            {"email": unique_email(), "metadata": []},
            "[body.metadata] Invalid input: expected record, received array",
        ),
    ]
    for body, message in cases:
        answer = await client.post(path, json=body, headers={"X-Forwarded-For": next_client_ip()})
        assert answer.status_code == 400
        assert answer.json() == {"message": message, "code": "VALIDATION_ERROR"}


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("callbackURL", "INVALID_CALLBACK_URL"),
        ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"),
        ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"),
    ],
)
async def test_foreign_callback_urls_are_refused(
    stack: Stack, mail: Mailbox, field: str, code: str
) -> None:
    email = unique_email()
    for url in ("https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:x"):
        async with browser(stack) as http:
            answer = await http.post(
                f"{AUTH}/sign-in/magic-link", json={"email": email, field: url}
            )
            assert error(answer) == (403, code), url
    assert await mail.nothing_for(email)


async def test_asking_is_a_first_login_endpoint_with_csrf_checks(stack: Stack) -> None:
    path = f"{AUTH}/sign-in/magic-link"
    body = {"email": unique_email()}
    async with browser(stack) as http:
        del http.headers["Origin"]
        navigation = await http.post(
            path, json=body, headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
        )
        assert error(navigation) == (403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
        fetch = await http.post(path, json=body, headers={"Sec-Fetch-Mode": "cors"})
        assert error(fetch) == (403, "MISSING_OR_NULL_ORIGIN")
        foreign = await http.post(path, json=body, headers={"Origin": "https://evil.example"})
        assert error(foreign) == (403, "INVALID_ORIGIN")
        server_to_server = await http.post(path, json=body)
        assert server_to_server.status_code == 200


# --- opening it ----------------------------------------------------------------------------


async def test_a_link_to_a_new_address_signs_it_up_and_lands_on_the_new_user_page(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await ask_for_link(
        client, email, name="Ada", callbackURL="/dash", newUserCallbackURL="/welcome"
    )
    _, url = await mailed_link(mail, email)
    async with browser(stack) as http:
        opened = await http.get(url.removeprefix(stack.gateway_url))
        assert opened.status_code == 302 and opened.content == b""
        assert opened.headers["location"] == f"{stack.gateway_url}/welcome"
        assert "better-auth.session_token=" in opened.headers["set-cookie"]
        user = await session_user(http)
        assert user is not None
        assert (user["email"], user["name"], user["emailVerified"]) == (email, "Ada", True)
    # Next time the address has a user: the ordinary callback.
    await ask_for_link(client, email, callbackURL="/dash", newUserCallbackURL="/welcome")
    token, _ = await mailed_link(mail, email)
    again = await open_link(client, token, callbackURL="/dash", newUserCallbackURL="/welcome")
    assert again.headers["location"] == f"{stack.gateway_url}/dash"


async def test_without_a_callback_the_answer_is_json(
    client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    user = await sign_up(client, email)
    await ask_for_link(client, email, name="Someone else")
    token, _ = await mailed_link(mail, email)
    opened = await open_link(client, token)
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert list(body) == ["token", "user", "session"]
    assert body["session"]["token"] == body["token"] and body["session"]["userId"] == user["id"]
    assert body["user"]["id"] == user["id"] and body["user"]["name"] == "Ada"
    assert opened.headers["set-auth-token"].startswith(body["token"] + ".")
    assert (await session_user(client) or {})["id"] == user["id"]


async def test_a_link_works_once_and_failures_redirect_with_the_error(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await ask_for_link(client, email)
    token, _ = await mailed_link(mail, email)
    assert (await open_link(client, token)).status_code == 200
    base = stack.gateway_url
    cases = [
        ({}, f"{base}/?error=INVALID_TOKEN"),
        ({"callbackURL": "/dash"}, f"{base}/dash?error=INVALID_TOKEN"),
        (
            {"callbackURL": "/dash", "errorCallbackURL": "/err?x=1#top"},
            f"{base}/err?x=1&error=INVALID_TOKEN#top",
        ),
        ({"errorCallbackURL": f"{TRUSTED_ORIGIN}/e"}, f"{TRUSTED_ORIGIN}/e?error=INVALID_TOKEN"),
    ]
    for query, location in cases:
        async with browser(stack) as http:
            reused = await open_link(http, token, **query)
            assert (reused.status_code, reused.headers["location"]) == (302, location)
            assert "set-cookie" not in reused.headers


@pytest.mark.parametrize(
    "token", ["", "x", "A" * 31, "A" * 33, "A" * 31 + "-", "é" * 32, "A" * 5000, "null"]
)
async def test_malformed_tokens_are_invalid_never_a_500(stack: Stack, token: str) -> None:
    async with browser(stack) as http:
        answer = await open_link(http, token)
        assert answer.status_code == 302
        assert answer.headers["location"] == f"{stack.gateway_url}/?error=INVALID_TOKEN"


async def test_opening_checks_its_query_like_better_auth(stack: Stack) -> None:
    async with browser(stack) as http:
        missing = await http.get(f"{AUTH}/magic-link/verify")
        assert missing.json() == {
            "message": "[query.token] Invalid input: expected string, received undefined",
            "code": "VALIDATION_ERROR",
        }
        twice = await http.get(f"{AUTH}/magic-link/verify?token=a&token=b")
        assert twice.json()["message"] == (
            "[query.token] Invalid input: expected string, received array"
        )
        for field in ("callbackURL", "newUserCallbackURL", "errorCallbackURL"):
            foreign = await open_link(http, "A" * 32, **{field: "https://evil.example/"})
            assert error(foreign) == (403, "INVALID_CALLBACK_URL"), field


async def test_two_concurrent_opens_make_one_session(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await ask_for_link(client, email)
    token, _ = await mailed_link(mail, email)
    async with browser(stack) as first, browser(stack) as second:
        answers = await asyncio.gather(open_link(first, token), open_link(second, token))
    assert sorted(answer.status_code for answer in answers) == [200, 302]
    assert sum("set-cookie" in answer.headers for answer in answers) == 1


async def test_a_link_to_an_address_the_user_left_is_void(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    user = await sign_up(client, email)
    await ask_for_link(client, email)
    token, _ = await mailed_link(mail, email)
    conn = await asyncpg.connect(stack.database_url("identity"))
    try:
        await conn.execute(
            "UPDATE identity.users SET email = $1 WHERE id = $2", unique_email(), user["id"]
        )
    finally:
        await conn.close()
    opened = await open_link(client, token)
    assert opened.headers["location"] == f"{stack.gateway_url}/?error=INVALID_TOKEN"


async def test_proving_an_unverified_address_strips_access_set_up_before(
    stack: Stack, mail: Mailbox
) -> None:
    email = unique_email()
    async with browser(stack) as squatter:
        squatted = await sign_up(squatter, email)
        async with browser(stack) as owner:
            await ask_for_link(owner, email)
            token, _ = await mailed_link(mail, email)
            opened = await open_link(owner, token)
            assert opened.status_code == 200, opened.text
            assert opened.json()["user"]["id"] == squatted["id"]
            assert opened.json()["user"]["emailVerified"] is True
        assert await session_user(squatter) is None
        refused = await squatter.post(
            f"{AUTH}/sign-in/email", json={"email": email, "password": PASSWORD}
        )
        assert refused.status_code == 401


# --- rate limits: api.md §6, the magicLink row (5 per 60 s) --------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/sign-in/magic-link"), ("GET", "/magic-link/verify")],
)
async def test_magic_link_endpoints_allow_5_per_60s(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    for attempt in range(5):
        response = await client.request(
            method, f"{AUTH}{path}", json={} if method == "POST" else None
        )
        assert response.status_code == 400, f"attempt {attempt + 1}: {response.text}"
    refused = await client.request(method, f"{AUTH}{path}")
    assert (refused.status_code, refused.json()) == (429, RATE_LIMITED)
    assert 10 < int(refused.headers["x-retry-after"]) <= 60
    other = await client.request(
        method, f"{AUTH}{path}", headers={"X-Forwarded-For": next_client_ip()}
    )
    assert other.status_code != 429


async def test_link_events_reach_audit_without_tokens_or_addresses(
    stack: Stack, client: httpx.AsyncClient, mail: Mailbox
) -> None:
    email = unique_email()
    await ask_for_link(client, email)
    token, _ = await mailed_link(mail, email)
    user = (await open_link(client, token)).json()["user"]
    expected = {"auth.identity.user.created.v1", "auth.session.session.created.v1"}
    deadline = time.monotonic() + 10
    while True:
        conn = await asyncpg.connect(stack.database_url("audit"))
        try:
            rows = await conn.fetch(
                "SELECT type, payload::text AS payload FROM audit.entries"
                " WHERE user_id = $1 OR type = 'auth.identity.magic_link.requested.v1'",
                user["id"],
            )
        finally:
            await conn.close()
        if expected <= {row["type"] for row in rows} or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert expected <= {row["type"] for row in rows}
    assert "auth.identity.magic_link.requested.v1" in {row["type"] for row in rows}
    for row in rows:
        assert token not in row["payload"] and email not in row["payload"]


async def test_odd_input_is_never_a_500(stack: Stack) -> None:
    odd: list[dict[str, Any]] = [
        {"email": "\ud800@example.test", "name": "\x00", "callbackURL": "/\ud800"},
        {"email": "a@example.test", "name": "n" * 300, "callbackURL": "/" + "x" * 3000},
        {"email": " A@EXAMPLE.TEST ", "callbackURL": "/a\r\nb"},
        {"email": "a@example.test", "metadata": {"nested": [{"deep": None}]}, "name": None},
    ]
    for body in odd:
        async with browser(stack) as http:
            # Escaped by json.dumps: a lone surrogate can only arrive as a JSON escape.
            answer = await http.post(
                f"{AUTH}/sign-in/magic-link",
                content=json.dumps(body),
                headers={"Content-Type": "application/json"},
            )
            assert answer.status_code < 500, (body, answer.text)
    for query in ({"token": "\x00"}, {"token": "A" * 32, "callbackURL": "/a\r\nb"}):
        async with browser(stack) as http:
            answer = await http.get(f"{AUTH}/magic-link/verify", params=query)
            assert answer.status_code < 500, (query, answer.text)
