"""The endpoints that must not tell whether an address is registered answer no sooner than the
floor (security/timing.py), for known and unknown addresses alike. Only the lower bound is
asserted: how much longer an answer takes is no test's business (DESIGN §6)."""

import time

import httpx
import pytest

from authmesh_kit.stack.supervisor import Stack
from tests.accounts import AUTH, sign_up
from tests.conftest import browser, unique_email

FLOOR_S = 0.5


async def timed(http: httpx.AsyncClient, path: str, body: dict[str, str]) -> float:
    started = time.monotonic()
    answer = await http.post(f"{AUTH}{path}", json=body)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    return elapsed


@pytest.mark.parametrize("path", ["/request-password-reset", "/send-verification-email"])
async def test_known_and_unknown_addresses_both_take_at_least_the_floor(
    stack: Stack, path: str
) -> None:
    known = unique_email()
    async with browser(stack) as http:
        await sign_up(http, known)
    # Anonymous callers (no session cookie), each address from its own client IP.
    for email in (known, unique_email()):
        async with browser(stack) as anonymous:
            assert await timed(anonymous, path, {"email": email}) >= FLOOR_S
