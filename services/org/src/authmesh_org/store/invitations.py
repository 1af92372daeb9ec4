"""Invitations on Postgres (domain/ports.py `InvitationRows`).

Settling an invitation (accept, reject, cancel) is one conditional UPDATE on a pending,
unexpired row: Postgres re-checks the condition on a row a concurrent transaction just changed,
so of any number of racing accepts exactly one finds it pending (DESIGN §4).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from authmesh_org.domain.model import PENDING, Invitation
from authmesh_org.store.organizations import Rows
from authmesh_org.store.tables import invitations


def invitation_from_row(row: Any) -> Invitation:
    return Invitation(
        id=row.id,
        organization_id=row.organization_id,
        email=row.email,
        role=row.role,
        team_id=row.team_id,
        status=row.status,
        expires_at=row.expires_at,
        created_at=row.created_at,
        inviter_id=row.inviter_id,
    )


LIVE_INVITATION = (invitations.c.status == PENDING, invitations.c.expires_at > func.now())


class PostgresInvitationRows(Rows):
    async def insert_invitation(self, invitation: Invitation) -> None:
        await self._conn.execute(
            invitations.insert().values(
                id=invitation.id,
                organization_id=invitation.organization_id,
                email=invitation.email,
                role=invitation.role,
                team_id=invitation.team_id,
                status=invitation.status,
                expires_at=invitation.expires_at,
                created_at=invitation.created_at,
                inviter_id=invitation.inviter_id,
            )
        )

    async def invitation(self, invitation_id: str) -> Invitation | None:
        query = select(invitations).where(invitations.c.id == invitation_id)
        row = (await self._conn.execute(query)).first()
        return invitation_from_row(row) if row else None

    async def pending_invitation(self, organization_id: str, email: str) -> Invitation | None:
        query = (
            select(invitations)
            .where(
                invitations.c.organization_id == organization_id,
                invitations.c.email == email,
                *LIVE_INVITATION,
            )
            .order_by(invitations.c.created_at.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return invitation_from_row(row) if row else None

    async def count_pending_invitations(self, organization_id: str) -> int:
        query = (
            select(func.count())
            .select_from(invitations)
            .where(invitations.c.organization_id == organization_id, *LIVE_INVITATION)
        )
        return int(await self._conn.scalar(query) or 0)

    async def renew_invitation(
        self, invitation_id: str, role: str, team_id: str | None, expires_at: datetime
    ) -> Invitation:
        row = (
            await self._conn.execute(
                invitations.update()
                .where(invitations.c.id == invitation_id)
                .values(role=role, team_id=team_id, expires_at=expires_at)
                .returning(*invitations.columns)
            )
        ).one()
        return invitation_from_row(row)

    async def settle_invitation(self, invitation_id: str, status: str) -> Invitation | None:
        row = (
            await self._conn.execute(
                invitations.update()
                .where(invitations.c.id == invitation_id, *LIVE_INVITATION)
                .values(status=status)
                .returning(*invitations.columns)
            )
        ).first()
        return invitation_from_row(row) if row else None

    async def invitations_of(self, organization_id: str) -> list[Invitation]:
        query = (
            select(invitations)
            .where(invitations.c.organization_id == organization_id)
            .order_by(invitations.c.created_at)
        )
        return [invitation_from_row(row) for row in await self._conn.execute(query)]

    async def pending_invitations_to(self, email: str) -> list[Invitation]:
        query = (
            select(invitations)
            .where(invitations.c.email == email, *LIVE_INVITATION)
            .order_by(invitations.c.created_at)
        )
        return [invitation_from_row(row) for row in await self._conn.execute(query)]
