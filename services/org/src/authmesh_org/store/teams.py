"""Teams, team members and custom roles on Postgres (domain/ports.py `TeamRows`, `RoleRows`)."""

import json
from typing import Any

from sqlalchemy import ARRAY, Text, exists, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from authmesh_org.domain.access import Statements
from authmesh_org.domain.model import CustomRole, Team, TeamMember
from authmesh_org.store.invitations import LIVE_INVITATION
from authmesh_org.store.organizations import Rows, holds_role
from authmesh_org.store.tables import invitations, members, roles, team_members, teams


def team_from_row(row: Any) -> Team:
    return Team(
        id=row.id,
        organization_id=row.organization_id,
        name=row.name,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def team_member_from_row(row: Any) -> TeamMember:
    return TeamMember(
        id=row.id,
        team_id=row.team_id,
        user_id=row.user_id,
        role=row.role,
        created_at=row.created_at,
    )


def statements_to_json(statements: Statements) -> str:
    return json.dumps({resource: sorted(actions) for resource, actions in statements.items()})


def statements_from_json(text: str) -> Statements:
    loaded = json.loads(text)
    return {str(resource): frozenset(actions) for resource, actions in loaded.items()}


def role_from_row(row: Any) -> CustomRole:
    return CustomRole(
        id=row.id,
        organization_id=row.organization_id,
        role=row.role,
        permission=statements_from_json(row.permission),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _renamed(role_column: Any, old: str, new: str) -> Any:
    names = type_coerce(func.string_to_array(role_column, ","), ARRAY(Text))
    return func.array_to_string(func.array_replace(names, old, new), ",")


class PostgresTeamRows(Rows):
    async def insert_team(self, team: Team) -> bool:
        inserted = await self._conn.execute(
            insert(teams)
            .values(
                id=team.id,
                organization_id=team.organization_id,
                name=team.name,
                created_at=team.created_at,
                updated_at=team.updated_at,
            )
            .on_conflict_do_nothing()
            .returning(teams.c.id)
        )
        return inserted.first() is not None

    async def team(self, team_id: str) -> Team | None:
        row = (await self._conn.execute(select(teams).where(teams.c.id == team_id))).first()
        return team_from_row(row) if row else None

    async def rename_team(self, team_id: str, name: str) -> Team | None:
        try:
            async with self._conn.begin_nested():
                row = (
                    await self._conn.execute(
                        teams.update()
                        .where(teams.c.id == team_id)
                        .values(name=name, updated_at=func.now())
                        .returning(*teams.columns)
                    )
                ).one()
        except IntegrityError:
            return None
        return team_from_row(row)

    async def delete_team(self, team_id: str) -> None:
        await self._conn.execute(teams.delete().where(teams.c.id == team_id))

    async def count_teams(self, organization_id: str) -> int:
        query = (
            select(func.count())
            .select_from(teams)
            .where(teams.c.organization_id == organization_id)
        )
        return int(await self._conn.scalar(query) or 0)

    async def teams_of(self, organization_id: str) -> list[Team]:
        query = (
            select(teams).where(teams.c.organization_id == organization_id).order_by(teams.c.name)
        )
        return [team_from_row(row) for row in await self._conn.execute(query)]

    async def teams_of_user(self, user_id: str) -> list[Team]:
        query = (
            select(teams)
            .join(team_members, team_members.c.team_id == teams.c.id)
            .where(team_members.c.user_id == user_id)
            .order_by(team_members.c.created_at)
        )
        return [team_from_row(row) for row in await self._conn.execute(query)]

    async def team_member(self, team_id: str, user_id: str) -> TeamMember | None:
        query = select(team_members).where(
            team_members.c.team_id == team_id, team_members.c.user_id == user_id
        )
        row = (await self._conn.execute(query)).first()
        return team_member_from_row(row) if row else None

    async def insert_team_member(self, organization_id: str, member: TeamMember) -> None:
        await self._conn.execute(
            insert(team_members)
            .values(
                id=member.id,
                team_id=member.team_id,
                organization_id=organization_id,
                user_id=member.user_id,
                role=member.role,
                created_at=member.created_at,
            )
            .on_conflict_do_nothing()
        )

    async def delete_team_member(self, team_id: str, user_id: str) -> bool:
        deleted = await self._conn.execute(
            team_members.delete().where(
                team_members.c.team_id == team_id, team_members.c.user_id == user_id
            )
        )
        return bool(deleted.rowcount == 1)

    async def count_team_members(self, team_id: str) -> int:
        query = (
            select(func.count()).select_from(team_members).where(team_members.c.team_id == team_id)
        )
        return int(await self._conn.scalar(query) or 0)

    async def team_members(self, team_id: str) -> list[TeamMember]:
        query = (
            select(team_members)
            .where(team_members.c.team_id == team_id)
            .order_by(team_members.c.created_at)
        )
        return [team_member_from_row(row) for row in await self._conn.execute(query)]

    async def set_team_member_role(
        self, team_id: str, user_id: str, role: str | None
    ) -> TeamMember | None:
        row = (
            await self._conn.execute(
                team_members.update()
                .where(team_members.c.team_id == team_id, team_members.c.user_id == user_id)
                .values(role=role)
                .returning(*team_members.columns)
            )
        ).first()
        return team_member_from_row(row) if row else None


class PostgresRoleRows(Rows):
    async def insert_role(self, role: CustomRole) -> bool:
        inserted = await self._conn.execute(
            insert(roles)
            .values(
                id=role.id,
                organization_id=role.organization_id,
                role=role.role,
                permission=statements_to_json(role.permission),
                created_at=role.created_at,
                updated_at=role.updated_at,
            )
            .on_conflict_do_nothing()
            .returning(roles.c.id)
        )
        return inserted.first() is not None

    async def role_by_id(self, organization_id: str, role_id: str) -> CustomRole | None:
        query = select(roles).where(
            roles.c.id == role_id, roles.c.organization_id == organization_id
        )
        row = (await self._conn.execute(query)).first()
        return role_from_row(row) if row else None

    async def role_by_name(self, organization_id: str, name: str) -> CustomRole | None:
        query = select(roles).where(
            roles.c.organization_id == organization_id, roles.c.role == name
        )
        row = (await self._conn.execute(query)).first()
        return role_from_row(row) if row else None

    async def roles_of(self, organization_id: str) -> list[CustomRole]:
        query = (
            select(roles).where(roles.c.organization_id == organization_id).order_by(roles.c.role)
        )
        return [role_from_row(row) for row in await self._conn.execute(query)]

    async def count_roles(self, organization_id: str) -> int:
        query = (
            select(func.count())
            .select_from(roles)
            .where(roles.c.organization_id == organization_id)
        )
        return int(await self._conn.scalar(query) or 0)

    async def update_role(
        self, role_id: str, name: str, permission: Statements
    ) -> CustomRole | None:
        try:
            async with self._conn.begin_nested():
                row = (
                    await self._conn.execute(
                        roles.update()
                        .where(roles.c.id == role_id)
                        .values(
                            role=name,
                            permission=statements_to_json(permission),
                            updated_at=func.now(),
                        )
                        .returning(*roles.columns)
                    )
                ).one()
        except IntegrityError:
            return None
        return role_from_row(row)

    async def rename_role_holders(self, organization_id: str, old: str, new: str) -> None:
        for table, scope in (
            (members, members.c.organization_id == organization_id),
            (team_members, team_members.c.organization_id == organization_id),
            (invitations, invitations.c.organization_id == organization_id),
        ):
            await self._conn.execute(
                table.update()
                .where(scope, holds_role(table.c.role, old))
                .values(role=_renamed(table.c.role, old, new))
            )

    async def role_is_held(self, organization_id: str, name: str) -> bool:
        held = or_(
            exists().where(
                members.c.organization_id == organization_id, holds_role(members.c.role, name)
            ),
            exists().where(
                team_members.c.organization_id == organization_id,
                holds_role(team_members.c.role, name),
            ),
            exists().where(
                invitations.c.organization_id == organization_id,
                holds_role(invitations.c.role, name),
                *LIVE_INVITATION,
            ),
        )
        return bool(await self._conn.scalar(select(held)))

    async def delete_role(self, role_id: str) -> None:
        await self._conn.execute(roles.delete().where(roles.c.id == role_id))
