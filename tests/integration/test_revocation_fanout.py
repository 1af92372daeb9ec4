"""Revocation fan-out when a gateway loses NATS or Redis (DESIGN §2 and §5, issue 4 scope 1).

A gateway that lost its NATS connection cannot hear revocations, so it must bypass its session
cache until it hears them again: a session revoked meanwhile is refused within a second, and
once the connection is back its cache serves again and revocations still reach it. A lost
connection is either cut (the peer closes it: the client knows at once) or silent (packets go
nowhere: only the client's own probing can tell). A gateway whose Redis is unreachable still
answers get-session and sign-in, from the session service and its per-process rate limiter.

Each gateway under test is one more gateway process on the test stack whose NATS or Redis URL
points at a `TcpProxy` the test cuts or freezes.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio

from authmesh_kit.stack.plan import HOST, free_ports
from authmesh_kit.stack.supervisor import Stack
from tests.accounts import AUTH, PASSWORD
from tests.sessions import (
    TOKEN,
    SignedIn,
    anonymous,
    extra_gateway,
    get_session,
    session_rows,
    sign_in,
    sign_up,
)
from tests.waiting import eventually

pytestmark = pytest.mark.integration

REVOCATION_BOUND_S = 1.0
# How long the server keeps a consumer nobody listens to (nats-server's default for the
# ephemeral consumers behind ordered subscriptions is 5 s): an outage longer than this leaves a
# reconnecting gateway with consumers that no longer exist.
LONG_OUTAGE_S = 6.0


class TcpProxy:
    """A loopback TCP proxy to `target` that a test can cut (every connection closed, new ones
    refused) or freeze (connections stay open and nothing gets through, as in a network
    partition), and then restore."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.port = free_ports(1)[0]
        self._target = (target_host, target_port)
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, HOST, self.port)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def freeze(self) -> None:
        self._flowing.clear()

    async def restore(self) -> None:
        self._flowing.set()
        if self._server is None:
            await self.start()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer, upstream_writer}
        self._writers |= pair
        try:
            await asyncio.gather(
                self._pump(reader, upstream_writer), self._pump(upstream_reader, writer)
            )
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for end in pair:
                end.transport.abort()
            self._writers -= pair

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            await self._flowing.wait()  # frozen: hold everything, as a dead link would
            writer.write(data)
            await writer.drain()
        writer.transport.abort()  # one side closed: close the other, as a real peer would


@dataclass
class ProxiedGateway:
    url: str
    proxy: TcpProxy


def _via(url: str, proxy: TcpProxy) -> str:
    """`url` (credentials, path and query kept) with the proxy as its host and port."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{HOST}:{proxy.port}" if credentials else f"{HOST}:{proxy.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@contextlib.asynccontextmanager
async def proxied_gateway(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory, variable: str, url: str
) -> AsyncIterator[ProxiedGateway]:
    """One more gateway whose `variable` (a backing service's URL) goes through a proxy."""
    target = urlsplit(url)
    proxy = TcpProxy(target.hostname or HOST, target.port or 0)
    await proxy.start()
    name = f"gateway-{variable.removeprefix('AUTHMESH_').removesuffix('_URL').lower()}-proxied"
    try:
        env = {variable: _via(url, proxy)}
        async with extra_gateway(stack, tmp_path_factory.mktemp("gw"), name, env) as gateway_url:
            yield ProxiedGateway(gateway_url, proxy)
    finally:
        await proxy.cut()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def nats_proxied(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ProxiedGateway]:
    url = stack.plan.nats_urls["gateway"]
    async with proxied_gateway(stack, tmp_path_factory, "AUTHMESH_NATS_URL", url) as gateway:
        yield gateway


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def redis_proxied(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ProxiedGateway]:
    url = stack.plan.redis_url
    async with proxied_gateway(stack, tmp_path_factory, "AUTHMESH_REDIS_URL", url) as gateway:
        yield gateway


# --- helpers ---------------------------------------------------------------------------------


async def fresh_session(stack: Stack, email: str) -> SignedIn:
    """One more session of `email`'s user, signed in from a client IP of its own (sign-in's
    rate limit is 3 per 10 s per IP)."""
    async with anonymous(stack.gateway_url) as http:
        return await sign_in(http, email)


async def is_live(base_url: str, signed: SignedIn) -> bool:
    async with anonymous(base_url) as http:
        return (await get_session(http, signed.header(TOKEN))).json() is not None


async def serves_from_cache(stack: Stack, base_url: str) -> bool:
    """Whether the gateway at `base_url` answers from its cache right now: the session of a
    new user, just read there, is deleted without any event, so only a cached copy can still
    answer for it."""
    async with anonymous(stack.gateway_url) as http:
        signed = await sign_up(http)
    assert await is_live(base_url, signed)
    await session_rows(stack, "DELETE FROM session.sessions WHERE user_id = $1", signed.user_id)
    return await is_live(base_url, signed)


async def revoke(stack: Stack, signed: SignedIn) -> None:
    """Signs `signed` out through the stack's own gateway."""
    async with anonymous(stack.gateway_url) as http:
        response = await http.post(f"{AUTH}/sign-out", headers=signed.header())
    assert response.status_code == 200, response.text


async def refused_within(base_url: str, signed: SignedIn, bound_s: float) -> None:
    """The gateway at `base_url` answers null for `signed` within `bound_s`."""
    started = time.monotonic()
    async with anonymous(base_url) as http:
        answer = await eventually(
            lambda: get_session(http, signed.header(TOKEN)),
            lambda response: response.json() is None,
            timeout_s=bound_s,
        )
    elapsed = time.monotonic() - started
    assert answer.json() is None, f"still served after {elapsed:.2f} s"


async def hears_revocations(stack: Stack, base_url: str, email: str) -> None:
    """The gateway at `base_url` caches again, and a session cached there and then revoked is
    refused within the bound."""
    assert await eventually(lambda: serves_from_cache(stack, base_url), bool, timeout_s=15.0)
    cached = await fresh_session(stack, email)
    assert await is_live(base_url, cached)
    await revoke(stack, cached)
    await refused_within(base_url, cached, REVOCATION_BOUND_S)


# --- NATS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("outage", ["cut", "silent"])
async def test_a_gateway_that_lost_nats_refuses_a_revoked_session_within_a_second(
    stack: Stack, nats_proxied: ProxiedGateway, outage: str
) -> None:
    gateway, proxy = nats_proxied.url, nats_proxied.proxy
    async with anonymous(stack.gateway_url) as http:
        owner = await sign_up(http)
    await hears_revocations(stack, gateway, owner.email)
    cached = await fresh_session(stack, owner.email)
    assert await is_live(gateway, cached)
    if outage == "cut":
        await proxy.cut()
    else:
        proxy.freeze()
    try:
        await revoke(stack, cached)
        await refused_within(gateway, cached, REVOCATION_BOUND_S)
        # Meanwhile every answer comes from the session service, none from the cache.
        assert not await serves_from_cache(stack, gateway)
        await asyncio.sleep(LONG_OUTAGE_S)
        assert not await serves_from_cache(stack, gateway)
    finally:
        await proxy.restore()
    # Back on NATS after an outage its consumers did not survive, it hears revocations again.
    await hears_revocations(stack, gateway, owner.email)


# --- Redis -----------------------------------------------------------------------------------


@pytest.mark.parametrize("outage", ["cut", "silent"])
async def test_a_gateway_without_redis_answers_get_session_and_sign_in(
    stack: Stack, redis_proxied: ProxiedGateway, outage: str
) -> None:
    gateway, proxy = redis_proxied.url, redis_proxied.proxy
    async with anonymous(stack.gateway_url) as http:
        owner = await sign_up(http)
    if outage == "cut":
        await proxy.cut()
    else:
        proxy.freeze()
    try:
        async with anonymous(gateway) as http:
            started = time.monotonic()
            signed = await sign_in(http, owner.email)
            cached = (await get_session(http, signed.header(TOKEN))).json()
            bypassed = await get_session(http, signed.header(TOKEN), disableCookieCache="true")
            elapsed = time.monotonic() - started
            assert cached["user"]["id"] == owner.user_id
            assert bypassed.json()["session"]["token"] == signed.token
            # Redis trouble never stalls a request (DESIGN §5)...
            assert elapsed < 1.0, f"{elapsed:.2f} s for three requests"
            # ...nor unlimits one: this replica counts alone (sign-in: 3 per 10 s per IP).
            statuses = [
                (
                    await http.post(
                        f"{AUTH}/sign-in/email", json={"email": owner.email, "password": PASSWORD}
                    )
                ).status_code
                for _ in range(3)
            ]
            assert statuses == [200, 200, 429]
    finally:
        await proxy.restore()
