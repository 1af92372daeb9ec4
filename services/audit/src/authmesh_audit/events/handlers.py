"""The audit service's consumer of every `auth.>` event: each fetched batch is chained in one
transaction (the kit's BatchEventConsumer)."""

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_audit.domain.ports import AuditStore
from authmesh_audit.domain.use_cases.record_event import record_events
from authmesh_kit.events.envelope import Envelope


class AuditEventHandler:
    def __init__(self, store: AuditStore) -> None:
        self._store = store

    async def __call__(self, conn: AsyncConnection, envelopes: list[Envelope]) -> None:
        await record_events(self._store, conn, envelopes)
