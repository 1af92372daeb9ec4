"""The audit service's consumer of every `auth.>` event."""

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_audit.domain.ports import AuditStore
from authmesh_audit.domain.use_cases.record_event import record_event
from authmesh_kit.events.envelope import Envelope


class AuditEventHandler:
    def __init__(self, store: AuditStore) -> None:
        self._store = store

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        await record_event(self._store, conn, envelope)
