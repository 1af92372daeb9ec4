"""The messages identity sends for notify, read where the real contract puts them: sealed on
`<namespace>.notify.>` in NATS, opened with the stack's key ring. Subscribed before a test
triggers anything, so nothing published meanwhile is missed."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
from nats.aio.msg import Msg

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.events.names import notify_subjects
from authmesh_kit.events.notifications import Message, open_message
from authmesh_kit.stack.supervisor import Stack

WAIT_S = 5.0  # test-outbox.md: clients poll for up to 5 s


class Mailbox:
    def __init__(self, key_ring: KeyRing) -> None:
        self._key_ring = key_ring
        self._messages: list[Message] = []
        self._taken: set[str] = set()
        self._arrived = asyncio.Condition()

    async def on_message(self, raw: Msg) -> None:
        message = open_message(self._key_ring, raw.data)
        async with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()

    def _first_untaken(self, to: str, type_: str) -> Message | None:
        for message in self._messages:
            if message.to == to and message.type == type_ and message.id not in self._taken:
                return message
        return None

    async def next(self, to: str, type_: str, timeout_s: float = WAIT_S) -> Message:
        """The oldest message of `type_` to `to` not returned before; fails after the wait."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: self._first_untaken(to, type_) is not None),
                timeout_s,
            )
            message = self._first_untaken(to, type_)
            assert message is not None
            self._taken.add(message.id)
            return message

    async def nothing_for(self, to: str, wait_s: float = 1.0) -> bool:
        """True when no message at all reaches `to` within `wait_s`."""
        await asyncio.sleep(wait_s)
        return not any(message.to == to for message in self._messages)

    def all_for(self, to: str) -> list[Message]:
        return [message for message in self._messages if message.to == to]


@asynccontextmanager
async def mailbox(stack: Stack) -> AsyncIterator[Mailbox]:
    box = Mailbox(KeyRing.from_spec(stack.plan.spec.encryption_keys))
    client = await nats.connect(stack.nats_url, allow_reconnect=False, connect_timeout=5)
    try:
        await client.subscribe(notify_subjects(stack.namespace), cb=box.on_message)
        await client.flush()
        yield box
    finally:
        await client.close()
