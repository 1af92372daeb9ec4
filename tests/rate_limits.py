"""Checks of the gateway's rate limits (api.md §6) shared by the tests of the limited routes."""

import itertools

import httpx

RATE_LIMITED = b'{"message":"Too many requests. Please try again later."}'
_spare_ips = itertools.count(1)


def _spare_ip() -> str:
    """An address outside conftest's 10.0.0.0/8 sequence, for a second client in one test."""
    n = next(_spare_ips)
    return f"172.{16 + n // 65536 % 16}.{n // 256 % 256}.{n % 256}"


async def assert_limit(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    allowed: int,
    window_s: int,
    body: object | None = None,
) -> None:
    """`allowed` requests pass the limiter, the next is 429 with X-Retry-After within the
    window (and above 10 s for a 60 s window, so the rule is not the 10 s one), and a client
    with another IP still passes."""
    for attempt in range(allowed):
        response = await client.request(method, path, json=body)
        assert response.status_code != 429, f"attempt {attempt + 1} of {allowed} was limited"
    refused = await client.request(method, path, json=body)
    assert (refused.status_code, refused.content) == (429, RATE_LIMITED)
    retry_after = int(refused.headers["x-retry-after"])
    assert (10 if window_s > 10 else 0) < retry_after <= window_s
    other = await client.request(method, path, json=body, headers={"X-Forwarded-For": _spare_ip()})
    assert other.status_code != 429
