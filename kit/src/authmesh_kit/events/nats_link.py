"""The process's NATS connection: connects in the background, reconnects forever.

A service must start and serve while NATS is down (its events wait in the outbox), so nothing
waits for NATS at start-up; users of the connection await `connected()` instead.
"""

import asyncio
import contextlib
from collections.abc import Callable
from urllib.parse import urlsplit

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext

from authmesh_kit.net import tcp_port_open
from authmesh_kit.observability.metrics import BACKEND_UP

log = structlog.get_logger(__name__)
_NATS_UP = BACKEND_UP.labels("nats")


class NatsLink:
    def __init__(self, url: str, name: str) -> None:
        self._url = url
        self._name = name
        self._client: Client | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._disconnect_callbacks: list[Callable[[], None]] = []
        self._reconnect_callbacks: list[Callable[[], None]] = []

    def on_disconnect(self, callback: Callable[[], None]) -> None:
        self._disconnect_callbacks.append(callback)

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        self._reconnect_callbacks.append(callback)

    def start(self) -> None:
        _NATS_UP.set(0)  # until connected: a NATS down from the start shows too
        self._task = asyncio.create_task(self._connect_forever(), name=f"nats-connect-{self._name}")

    async def _port_open(self) -> bool:
        # nats-py logs a traceback and backs off when the port is closed: probe it first.
        parts = urlsplit(self._url)
        return await tcp_port_open(parts.hostname or "127.0.0.1", parts.port or 4222)

    async def _connect_forever(self) -> None:
        delay = 0.2
        while True:
            if await self._port_open():
                try:
                    self._client = await nats.connect(
                        self._url,
                        name=self._name,
                        allow_reconnect=True,
                        max_reconnect_attempts=-1,
                        reconnect_time_wait=0.5,
                        connect_timeout=2,
                        error_cb=self._on_error,
                        disconnected_cb=self._on_disconnect,
                        reconnected_cb=self._on_reconnect,
                    )
                    self._ready.set()
                    _NATS_UP.set(1)
                    log.info("nats connected")
                    return
                except Exception as exc:  # noqa: BLE001 - any failure means: try again later
                    log.warning("nats connect failed", error=str(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _on_error(self, exc: Exception) -> None:
        log.debug("nats error", error=str(exc))

    async def _on_disconnect(self) -> None:
        log.warning("nats disconnected")
        _NATS_UP.set(0)
        for callback in self._disconnect_callbacks:
            callback()

    async def _on_reconnect(self) -> None:
        log.info("nats reconnected")
        _NATS_UP.set(1)
        for callback in self._reconnect_callbacks:
            callback()

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def client(self) -> Client:
        if self._client is None:
            raise RuntimeError("NATS is not connected yet")
        return self._client

    async def connected(self) -> Client:
        await self._ready.wait()
        return self.client

    async def jetstream(self) -> JetStreamContext:
        return (await self.connected()).jetstream()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.drain()
