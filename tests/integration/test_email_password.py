"""Email sign-up, sign-in, session check and sign-out through the gateway and real services."""

import asyncio
import re

import httpx

from tests.accounts import USER_KEYS
from tests.conftest import next_client_ip, unique_email

PASSWORD = "correct horse battery"
SESSION_COOKIE = re.compile(
    r"^better-auth\.session_token=([A-Za-z0-9]{32})\.[A-Za-z0-9%]+; Max-Age=2592000; Path=/; "
    r"HttpOnly; SameSite=Lax$"
)
ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def sign_up(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/api/auth/sign-up/email", json={"name": "Ada", "email": email, "password": password}
    )


async def test_sign_up_sets_the_session_cookie_and_answers_like_better_auth(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    response = await sign_up(client, email.upper())
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["token", "user"]
    assert list(body["user"]) == USER_KEYS
    assert body["user"]["email"] == email  # lower-cased
    assert body["user"]["role"] == "user" and body["user"]["emailVerified"] is False
    assert ISO_DATE.match(body["user"]["createdAt"])
    # As the peer: the session cookie, then the cookie cache (tests/integration/test_sessions.py).
    cookie, cookie_cache = response.headers.get_list("set-cookie")
    assert cookie_cache.startswith("better-auth.session_data=")
    match = SESSION_COOKIE.match(cookie)
    assert match and match.group(1) == body["token"]
    assert response.headers["set-auth-token"].startswith(body["token"] + ".")


async def test_get_session_then_sign_out_then_sign_in_again(client: httpx.AsyncClient) -> None:
    email = unique_email()
    user = (await sign_up(client, email)).json()["user"]

    session = await client.get("/api/auth/get-session")
    assert session.status_code == 200
    assert session.headers["cache-control"] == "no-store"
    assert session.json()["user"]["id"] == user["id"]
    assert session.json()["session"]["userId"] == user["id"]
    assert session.json()["session"]["ipAddress"] == client.headers["X-Forwarded-For"]
    old_cookie = client.cookies["better-auth.session_token"]

    signed_out = await client.post("/api/auth/sign-out")
    assert signed_out.json() == {"success": True}
    assert "better-auth.session_token=; Max-Age=0" in signed_out.headers.get_list("set-cookie")[0]
    assert (await client.get("/api/auth/get-session")).json() is None

    # The old cookie is refused at once: the revocation evicted the gateway's cache.
    client.cookies.set("better-auth.session_token", old_cookie)
    replay = await client.get("/api/auth/get-session")
    assert replay.json() is None
    client.cookies.clear()

    signed_in = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    assert list(signed_in.json()) == ["redirect", "token", "user"]
    assert signed_in.json()["redirect"] is False
    again = await client.get("/api/auth/get-session")
    assert again.json()["session"]["token"] == signed_in.json()["token"]


async def test_wrong_password_and_unknown_email_answer_alike(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await sign_up(client, email)
    client.cookies.clear()
    wrong = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": "x" * 12}
    )
    unknown = await client.post(
        "/api/auth/sign-in/email", json={"email": unique_email(), "password": "x" * 12}
    )
    expected = {"message": "Invalid email or password", "code": "INVALID_EMAIL_OR_PASSWORD"}
    assert (wrong.status_code, wrong.json()) == (401, expected)
    assert (unknown.status_code, unknown.json()) == (401, expected)
    assert "set-cookie" not in wrong.headers


async def test_duplicate_sign_up_is_refused(client: httpx.AsyncClient) -> None:
    email = unique_email()
    assert (await sign_up(client, email)).status_code == 200
    duplicate = await sign_up(client, email)
    assert duplicate.status_code == 422
    assert duplicate.json()["code"] == "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"


async def test_concurrent_sign_ups_with_one_email_create_one_user(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    # Eight sign-ups at once: each from its own IP, under the 3-per-10-s limit.
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/auth/sign-up/email",
                json={"name": "Ada", "email": email, "password": PASSWORD},
                headers={"X-Forwarded-For": next_client_ip()},
            )
            for _ in range(8)
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [422] * 7


async def test_protected_fields_in_sign_up_never_take_effect(client: httpx.AsyncClient) -> None:
    # `role` itself is refused with FIELD_NOT_ALLOWED (WIRE-NOTES §5; test_bad_input.py).
    response = await client.post(
        "/api/auth/sign-up/email",
        json={
            "name": "Mallory",
            "email": unique_email(),
            "password": PASSWORD,
            "emailVerified": True,
            "banned": True,
            "id": "chosen-id",
            "twoFactorEnabled": True,
            "unknownField": 1,
        },
    )
    assert response.status_code == 200
    user = response.json()["user"]
    assert user["role"] == "user"
    assert user["emailVerified"] is False and user["banned"] is False
    assert user["twoFactorEnabled"] is False and user["id"] != "chosen-id"


async def test_sign_in_with_remember_me_false_sets_a_browser_session_cookie(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    await sign_up(client, email)
    response = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": PASSWORD, "rememberMe": False}
    )
    cookies = response.headers.get_list("set-cookie")
    assert "Max-Age" not in cookies[0]
    assert cookies[1].startswith("better-auth.dont_remember=")


async def test_ok_and_unknown_routes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/auth/ok")).json() == {"ok": True}
    for method, path in [
        ("GET", "/api/auth/nope"),
        ("GET", "/api/auth/sign-up/email"),
        ("POST", "/api/auth/ok/"),
        ("GET", "/elsewhere"),
    ]:
        response = await client.request(method, path)
        assert (response.status_code, response.content) == (404, b""), (method, path)
