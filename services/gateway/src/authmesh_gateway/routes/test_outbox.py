"""The test outbox over HTTP (shared/better-auth/test-outbox.md), for black-box tests: the
messages notify delivered, read from Redis, where notify appends each one to
`<namespace>:test-outbox:<recipient>` (authmesh_notify.delivery.outbox).

Registered by the app in test mode only (AUTHMESH_MODE=test), so production has no such route.
Any gateway replica answers, since they share Redis. The router opens its own Redis client in
its lifespan: the outbox is a test-only reader, kept apart from the hot path's clients.
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from authmesh_gateway.http_io import json_response

PATH = "/__test/outbox"
_SCAN_COUNT = 500


def outbox_key(namespace: str, recipient: str) -> str:
    return f"{namespace}:test-outbox:{recipient.lower()}"


class OutboxReader:
    """The Redis side: each recipient's messages, oldest first."""

    def __init__(self, client: "redis.asyncio.Redis", namespace: str) -> None:
        self._client = client
        self._namespace = namespace

    async def messages(self, recipient: str) -> list[dict[str, Any]]:
        raw = await self._client.lrange(outbox_key(self._namespace, recipient), 0, -1)
        return [json.loads(item) for item in raw]

    async def clear(self) -> None:
        """Every recipient's list of this namespace, found with SCAN (KEYS blocks Redis)."""
        # The namespace is [a-z0-9_] only (settings), so it holds no glob character.
        pattern = f"{self._namespace}:test-outbox:*"
        batch: list[bytes | str] = []
        async for key in self._client.scan_iter(match=pattern, count=_SCAN_COUNT):
            batch.append(key)
            if len(batch) >= _SCAN_COUNT:
                await self._client.unlink(*batch)
                batch.clear()
        if batch:
            await self._client.unlink(*batch)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Runs inside the app's own lifespan, after it has set up the gateway's context.
    settings = app.state.ctx.settings
    client = redis.asyncio.from_url(settings.redis_url)
    app.state.test_outbox = OutboxReader(client, settings.namespace)
    try:
        yield
    finally:
        await client.aclose()


router = APIRouter(lifespan=_lifespan)


def _reader(request: Request) -> OutboxReader:
    reader: OutboxReader = request.app.state.test_outbox
    return reader


def _recipient(value: str) -> str:
    """As the peer reads `?to=`, lower-cased; a leading space is taken back to the `+` of a
    phone number that was not percent-encoded (`?to=+1555…` reads as " 1555…")."""
    if value.startswith(" ") and value[1:].strip().isdigit():
        value = "+" + value[1:]
    return value.lower()


@router.get(PATH)
async def read_outbox(request: Request) -> Response:
    query = request.query_params
    to = query.get("to", "")
    if not to:
        return json_response({"message": "missing ?to="}, 400)
    messages = await _reader(request).messages(_recipient(to))
    wanted = query.get("type")
    if wanted:
        messages = [message for message in messages if message.get("type") == wanted]
    if query.get("all"):
        return json_response({"messages": messages})
    if not messages:
        return json_response({"message": "no message"}, 404)
    return json_response(messages[-1])


@router.delete(PATH)
async def clear_outbox(request: Request) -> Response:
    await _reader(request).clear()
    return Response(b"", 204)
