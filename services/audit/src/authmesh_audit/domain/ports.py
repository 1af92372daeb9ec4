"""What the audit use cases need from storage."""

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_audit.domain.model import AuditEntry


class AuditStore(Protocol):
    async def append(self, conn: AsyncConnection, entry: AuditEntry) -> None: ...

    async def list_for_user(
        self, user_id: str, limit: int, before_event_id: str | None
    ) -> list[AuditEntry]:
        """Newest first; event ids are UUIDv7, so their order is the order of occurrence."""
        ...
