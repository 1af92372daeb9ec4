"""What the audit use cases need from storage."""

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_audit.domain.model import Anchor, AuditEntry, ChainedEntry, EventFilter, Position


class AuditStore(Protocol):
    async def append(self, conn: AsyncConnection, batch: list[AuditEntry]) -> list[AuditEntry]:
        """Chains the entries after the head, in order, skipping event ids stored already;
        the entries chained, in chain order."""
        ...

    async def list_entries(
        self, event_filter: EventFilter, limit: int, after: Position | None
    ) -> list[ChainedEntry]:
        """Newest first by (occurred_at, sequence), strictly after `after`."""
        ...


class ChainSnapshot(Protocol):
    async def anchor(self) -> Anchor: ...

    async def head(self) -> Anchor: ...

    async def entries_after(self, sequence: int, up_to: int, limit: int) -> list[ChainedEntry]:
        """In sequence order."""
        ...


class ChainStore(Protocol):
    def snapshot(self) -> AbstractAsyncContextManager[ChainSnapshot]: ...
