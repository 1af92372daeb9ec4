"""Helpers for two-factor tests: TOTP codes computed by oathtool, enrolment, and a browser held
at the second-factor challenge."""

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from authmesh_kit.stack.supervisor import Stack
from tests.accounts import AUTH, PASSWORD
from tests.conftest import browser, next_client_ip

PERIOD_S = 30


def _oathtool() -> str:
    path = shutil.which("oathtool")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("oathtool is missing (apt-get install oathtool; .ci/run installs it)")
        pytest.skip("oathtool is not installed: the independent check of TOTP codes needs it")
    return path


def totp_code(secret: str, at: float | None = None) -> str:
    """The code of `secret` (base32) at `at` (default now), computed by oathtool."""
    moment = time.gmtime(time.time() if at is None else at)
    command = [
        _oathtool(),
        "--totp",
        "--base32",
        "--now",
        time.strftime("%Y-%m-%d %H:%M:%S UTC", moment),
        secret,
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


async def wait_for_fresh_step(margin_s: float = 3.0) -> None:
    """Waits until the current 30-second step has `margin_s` left, so that codes computed now
    stay in the same step while a test uses them."""
    left = PERIOD_S - time.time() % PERIOD_S
    if left < margin_s:
        await asyncio.sleep(left + 0.2)


def fresh_ip() -> dict[str, str]:
    return {"X-Forwarded-For": next_client_ip()}


async def post(http: httpx.AsyncClient, path: str, body: Any = None) -> httpx.Response:
    """A POST from an IP of its own (rate limits stay on)."""
    return await http.post(
        f"{AUTH}{path}", json=body if body is not None else {}, headers=fresh_ip()
    )


@dataclass
class Account:
    email: str
    user_id: str
    secret: str = ""
    backup_codes: list[str] | None = None
    username: str = ""


def secret_of(totp_uri: str) -> str:
    return parse_qs(urlsplit(totp_uri).query)["secret"][0]


async def enroll_totp(http: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    """enable (pending) then the first code (enabled); the enable answer."""
    enabled = await post(http, "/two-factor/enable", {"password": PASSWORD})
    assert enabled.status_code == 200, enabled.text
    body: dict[str, Any] = enabled.json()
    account.secret = secret_of(body["totpURI"])
    account.backup_codes = list(body["backupCodes"])
    await wait_for_fresh_step()
    confirmed = await post(http, "/two-factor/verify-totp", {"code": totp_code(account.secret)})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["user"]["twoFactorEnabled"] is True
    return body


async def sign_in(http: httpx.AsyncClient, account: Account, **extra: Any) -> httpx.Response:
    return await post(
        http, "/sign-in/email", {"email": account.email, "password": PASSWORD, **extra}
    )


@asynccontextmanager
async def challenged(stack: Stack, account: Account) -> AsyncIterator[httpx.AsyncClient]:
    """A browser whose password sign-in was answered with a second-factor challenge."""
    async with browser(stack) as http:
        response = await sign_in(http, account)
        assert response.status_code == 200, response.text
        assert response.json() == {"twoFactorRedirect": True, "twoFactorMethods": ["totp"]}
        yield http
