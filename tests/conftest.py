"""Helpers shared by the black-box tests: an HTTP client per test with its own client IP."""

import itertools
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio

from authmesh_kit.stack.supervisor import Stack
from tests.mailbox import Mailbox, mailbox

TRUSTED_ORIGIN = "http://localhost:3000"
_client_ips = itertools.count(1)


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.test"


def next_client_ip() -> str:
    """A client IP no other test uses: per-IP rate limits (api.md §6) stay on in tests."""
    n = next(_client_ips)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


async def forget_rate_limits(stack: Stack, client_ip: str = "no-trusted-ip") -> None:
    """Drops one client's rate-limit buckets. Only for tests of clients whose IP is unknown
    (they all share the `no-trusted-ip` bucket by design, so they cannot have an IP each)."""
    client = redis.asyncio.from_url(stack.backing.redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{stack.namespace}:rl:{client_ip}|*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def browser(stack: Stack) -> httpx.AsyncClient:
    """A browser-like client: cookie jar, trusted Origin, and its own X-Forwarded-For so that
    per-IP rate limits never couple two tests (or two users of one test)."""
    headers = {"Origin": TRUSTED_ORIGIN, "X-Forwarded-For": next_client_ip()}
    return httpx.AsyncClient(base_url=stack.gateway_url, headers=headers, timeout=10)


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(stack) as http:
        yield http


@pytest.fixture
async def mail(stack: Stack) -> AsyncIterator[Mailbox]:
    """The notify messages of the stack from now on (tests/mailbox.py)."""
    async with mailbox(stack) as box:
        yield box
