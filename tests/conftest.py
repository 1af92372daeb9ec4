"""Helpers shared by the black-box tests: an HTTP client per test with its own client IP."""

import itertools
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from authmesh_kit.stack.supervisor import Stack

TRUSTED_ORIGIN = "http://localhost:3000"
_client_ips = itertools.count(1)


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.test"


def browser(stack: Stack) -> httpx.AsyncClient:
    """A browser-like client: cookie jar, trusted Origin, and its own X-Forwarded-For so that
    per-IP rate limits never couple two tests (or two users of one test)."""
    n = next(_client_ips)
    headers = {
        "Origin": TRUSTED_ORIGIN,
        "X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
    }
    return httpx.AsyncClient(base_url=stack.gateway_url, headers=headers, timeout=10)


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(stack) as http:
        yield http
