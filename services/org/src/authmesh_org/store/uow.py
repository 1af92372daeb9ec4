"""The org service's transactions on Postgres (domain/ports.py `OrgTransaction`,
`OrgUnitOfWork`, `AccessReader`)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message
from authmesh_kit.events.outbox import Outbox
from authmesh_org.domain.access import Statements
from authmesh_org.store.invitations import PostgresInvitationRows
from authmesh_org.store.organizations import PostgresMemberRows, PostgresOrganizationRows
from authmesh_org.store.tables import members, roles, team_members
from authmesh_org.store.teams import PostgresRoleRows, PostgresTeamRows, statements_from_json


class PostgresOrgTransaction(
    PostgresOrganizationRows,
    PostgresMemberRows,
    PostgresInvitationRows,
    PostgresTeamRows,
    PostgresRoleRows,
):
    def __init__(self, conn: AsyncConnection, outbox: Outbox) -> None:
        super().__init__(conn)
        self._outbox = outbox

    async def add_events(self, *events: Envelope) -> None:
        await self._outbox.add(self._conn, *events)

    async def add_messages(self, *messages: Message) -> None:
        await self._outbox.add_message(self._conn, *messages)


class PostgresOrgUnitOfWork:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self._engine = engine
        self._outbox = outbox

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[PostgresOrgTransaction]:
        async with self._engine.begin() as conn:
            yield PostgresOrgTransaction(conn, self._outbox)


class PostgresAccessReader:
    """CheckPermission's reads on a cache miss, each on its own pooled connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def member_role(self, organization_id: str, user_id: str) -> str | None:
        query = select(members.c.role).where(
            members.c.organization_id == organization_id, members.c.user_id == user_id
        )
        async with self._engine.connect() as conn:
            role = await conn.scalar(query)
        return str(role) if role is not None else None

    async def team_role(
        self, organization_id: str, team_id: str, user_id: str
    ) -> tuple[bool, str | None]:
        query = select(team_members.c.role).where(
            team_members.c.team_id == team_id,
            team_members.c.user_id == user_id,
            team_members.c.organization_id == organization_id,
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return False, None
        return True, row.role

    async def custom_roles(self, organization_id: str) -> dict[str, Statements]:
        query = select(roles.c.role, roles.c.permission).where(
            roles.c.organization_id == organization_id
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
            return {row.role: statements_from_json(row.permission) for row in rows}
