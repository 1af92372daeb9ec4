"""Helpers for tests that handle session cookies themselves (a client that keeps none, the
Set-Cookie lines of a sign-in) and start extra gateway processes on the stack."""

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from authmesh_kit.stack.plan import free_ports
from authmesh_kit.stack.supervisor import READY_PATH, ManagedProcess, Stack, http_ok
from tests.accounts import AUTH, PASSWORD
from tests.conftest import TRUSTED_ORIGIN, next_client_ip, unique_email

TOKEN = "better-auth.session_token"


@dataclass
class SignedIn:
    """One browser signed in: its cookies as set, its session token and user."""

    cookies: dict[str, str]  # name → value as on the wire
    lines: list[str]  # the Set-Cookie lines of the sign-in
    token: str
    user_id: str
    email: str

    def header(self, *names: str) -> dict[str, str]:
        """A Cookie header with the given cookies (all of them by default)."""
        chosen = names or tuple(self.cookies)
        return {"cookie": "; ".join(f"{name}={self.cookies[name]}" for name in chosen)}


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def cookie_values(lines: list[str]) -> dict[str, str]:
    pairs = (line.split(";", 1)[0].partition("=") for line in lines)
    return {name: value for name, _, value in pairs}


def anonymous(base_url: str) -> httpx.AsyncClient:
    """A client that keeps no cookie: every test here sends its Cookie header itself."""
    headers = {"Origin": TRUSTED_ORIGIN, "X-Forwarded-For": next_client_ip()}
    no_cookies = CookieJar(DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(base_url=base_url, headers=headers, cookies=no_cookies, timeout=10)


async def sign_up(http: httpx.AsyncClient, email: str | None = None) -> SignedIn:
    email = email or unique_email()
    response = await http.post(
        f"{AUTH}/sign-up/email", json={"name": "Ada", "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return _signed_in(response, email)


async def sign_in(http: httpx.AsyncClient, email: str, **extra: Any) -> SignedIn:
    response = await http.post(
        f"{AUTH}/sign-in/email", json={"email": email, "password": PASSWORD, **extra}
    )
    assert response.status_code == 200, response.text
    return _signed_in(response, email)


def _signed_in(response: httpx.Response, email: str) -> SignedIn:
    body = response.json()
    lines = set_cookies(response)
    return SignedIn(cookie_values(lines), lines, body["token"], body["user"]["id"], email)


async def get_session(
    http: httpx.AsyncClient, cookie: dict[str, str], **query: str
) -> httpx.Response:
    response = await http.get(f"{AUTH}/get-session", params=query, headers=cookie)
    assert response.status_code == 200, response.text
    return response


async def session_rows(stack: Stack, query: str, *args: object) -> None:
    conn = await asyncpg.connect(stack.database_url("session"))
    try:
        await conn.execute(query, *args)
    finally:
        await conn.close()


@asynccontextmanager
async def extra_gateway(
    stack: Stack, log_dir: Path, name: str, env: dict[str, str]
) -> AsyncIterator[str]:
    """One more gateway process on the stack's services and NATS, with `env` on top of the
    stack's gateway environment; yields its URL."""
    port, metrics_port = free_ports(2)
    environment = stack.plan.env("gateway") | env
    environment |= {"AUTHMESH_GATEWAY_PORT": str(port), "AUTHMESH_METRICS_PORT": str(metrics_port)}
    argv = [sys.executable, "-m", "authmesh_gateway", "serve"]
    process = ManagedProcess(name, argv, environment, log_dir / f"{name}.log")
    await process.start()
    try:
        deadline = time.monotonic() + 60
        while not await http_ok(port, READY_PATH):
            assert process.returncode is None, process.tail()
            assert time.monotonic() < deadline, process.tail()
            await asyncio.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        await process.stop()
