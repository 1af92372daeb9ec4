"""Helpers for tests that sign up, sign in and recover accounts over the gateway's HTTP API
(email and password), and read identity's rows."""

import re
from typing import Any

import asyncpg
import httpx

from authmesh_kit.stack.supervisor import Stack
from tests.database import fetch
from tests.mailbox import Mailbox

AUTH = "/api/auth"
PASSWORD = "correct horse battery"
TOKEN = re.compile(r"^[A-Za-z0-9]{32}$")
RESET_ANSWER = {
    "status": True,
    "message": "If this email exists in our system, check your email for the reset link",
}


async def sign_up(http: httpx.AsyncClient, email: str, **extra: Any) -> dict[str, Any]:
    response = await http.post(
        f"{AUTH}/sign-up/email",
        json={"name": "Ada", "email": email, "password": PASSWORD, **extra},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post(f"{AUTH}/sign-in/email", json={"email": email, "password": password})


async def session_user(http: httpx.AsyncClient) -> dict[str, Any] | None:
    response = await http.get(f"{AUTH}/get-session")
    assert response.status_code == 200, response.text
    body = response.json()
    return None if body is None else dict(body["user"])


async def verification_token(mail: Mailbox, email: str) -> str:
    message = await mail.next(email, "verify-email")
    return str(message.fields["token"])


async def reset_token(mail: Mailbox, email: str) -> str:
    message = await mail.next(email, "reset-password")
    return str(message.fields["token"])


async def request_reset(http: httpx.AsyncClient, email: str, **extra: Any) -> None:
    response = await http.post(f"{AUTH}/request-password-reset", json={"email": email, **extra})
    assert response.status_code == 200, response.text
    assert response.json() == RESET_ANSWER


async def identity_rows(stack: Stack, query: str, *args: object) -> list[asyncpg.Record]:
    return await fetch(stack.database_url("identity"), query, *args)


def error(response: httpx.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("code")


USER_KEYS = [
    "name",
    "email",
    "emailVerified",
    "image",
    "createdAt",
    "updatedAt",
    "twoFactorEnabled",
    "username",
    "displayUsername",
    "phoneNumber",
    "phoneNumberVerified",
    "role",
    "banned",
    "banReason",
    "banExpires",
    "id",
]


async def delete_user(http: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await http.post(f"{AUTH}/delete-user", json=body)


async def age_sessions(stack: Stack, user_id: str) -> None:
    """Older than the fresh age (1 hour in tests, as Better-Auth's peer)."""
    conn = await asyncpg.connect(stack.database_url("session"))
    try:
        await conn.execute(
            "UPDATE session.sessions SET created_at = now() - interval '2 hours'"
            " WHERE user_id = $1",
            user_id,
        )
    finally:
        await conn.close()
