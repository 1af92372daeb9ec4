"""Organizations and members on Postgres (domain/ports.py `OrganizationRows`, `MemberRows`)."""

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Text, any_, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_org.domain.access import OWNER
from authmesh_org.domain.model import Member, MemberQuery, Organization, OrganizationUpdate
from authmesh_org.store.tables import members, organizations, team_members


def organization_from_row(row: Any) -> Organization:
    return Organization(
        id=row.id,
        name=row.name,
        slug=row.slug,
        logo=row.logo,
        metadata=row.metadata,
        created_at=row.created_at,
    )


def member_from_row(row: Any) -> Member:
    return Member(
        id=row.id,
        organization_id=row.organization_id,
        user_id=row.user_id,
        role=row.role,
        created_at=row.created_at,
    )


def holds_role(role_column: Any, name: str) -> ColumnElement[bool]:
    """The comma-separated role field names `name` exactly."""
    names = type_coerce(func.string_to_array(role_column, ","), ARRAY(Text))
    return literal(name, Text) == any_(names)


class Rows:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn


class PostgresOrganizationRows(Rows):
    async def now(self) -> datetime:
        value = await self._conn.scalar(select(func.clock_timestamp()))
        assert isinstance(value, datetime)
        return value

    async def insert_organization(self, organization: Organization) -> bool:
        inserted = await self._conn.execute(
            insert(organizations)
            .values(
                id=organization.id,
                name=organization.name,
                slug=organization.slug,
                logo=organization.logo,
                metadata=organization.metadata,
                created_at=organization.created_at,
            )
            .on_conflict_do_nothing()
            .returning(organizations.c.id)
        )
        return inserted.first() is not None

    async def slug_taken(self, slug: str) -> bool:
        found = await self._conn.scalar(
            select(organizations.c.id).where(organizations.c.slug == slug)
        )
        return found is not None

    async def organization(self, organization_id: str) -> Organization | None:
        query = select(organizations).where(organizations.c.id == organization_id)
        row = (await self._conn.execute(query)).first()
        return organization_from_row(row) if row else None

    async def organization_by_slug(self, slug: str) -> Organization | None:
        query = select(organizations).where(organizations.c.slug == slug)
        row = (await self._conn.execute(query)).first()
        return organization_from_row(row) if row else None

    async def lock_organization(self, organization_id: str) -> Organization | None:
        query = select(organizations).where(organizations.c.id == organization_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        return organization_from_row(row) if row else None

    async def update_organization(
        self, organization_id: str, update: OrganizationUpdate
    ) -> Organization | None:
        values: dict[str, Any] = {}
        if update.name is not None:
            values["name"] = update.name
        if update.slug is not None:
            values["slug"] = update.slug
        if update.logo is not None:
            values["logo"] = update.logo or None
        if update.metadata is not None:
            values["metadata"] = update.metadata
        statement = organizations.update().where(organizations.c.id == organization_id)
        try:
            # A savepoint: a slug taken meanwhile fails this statement, not the transaction.
            async with self._conn.begin_nested():
                row = (
                    await self._conn.execute(
                        statement.values(**values).returning(*organizations.columns)
                        if values
                        else select(organizations).where(organizations.c.id == organization_id)
                    )
                ).one()
        except IntegrityError:
            return None
        return organization_from_row(row)

    async def delete_organization(self, organization_id: str) -> None:
        # Members, invitations, teams, team members and roles go by ON DELETE CASCADE.
        await self._conn.execute(
            organizations.delete().where(organizations.c.id == organization_id)
        )

    async def organizations_of(self, user_id: str) -> list[Organization]:
        query = (
            select(organizations)
            .join(members, members.c.organization_id == organizations.c.id)
            .where(members.c.user_id == user_id)
            .order_by(members.c.created_at, members.c.id)
        )
        return [organization_from_row(row) for row in await self._conn.execute(query)]

    async def lock_memberships_of(self, user_id: str) -> None:
        # A transaction-scoped advisory lock per user: there is no row to lock for "this
        # user's memberships", and the count below must not race a concurrent join.
        key = func.hashtextextended(literal("org-memberships:") + user_id, 0)
        await self._conn.execute(select(func.pg_advisory_xact_lock(key)))

    async def count_memberships(self, user_id: str) -> int:
        query = select(func.count()).select_from(members).where(members.c.user_id == user_id)
        return int(await self._conn.scalar(query) or 0)


class PostgresMemberRows(Rows):
    async def member(self, organization_id: str, user_id: str) -> Member | None:
        query = select(members).where(
            members.c.organization_id == organization_id, members.c.user_id == user_id
        )
        row = (await self._conn.execute(query)).first()
        return member_from_row(row) if row else None

    async def member_by_id(self, organization_id: str, member_id: str) -> Member | None:
        query = select(members).where(
            members.c.id == member_id, members.c.organization_id == organization_id
        )
        row = (await self._conn.execute(query)).first()
        return member_from_row(row) if row else None

    async def insert_member(self, member: Member) -> None:
        await self._conn.execute(
            members.insert().values(
                id=member.id,
                organization_id=member.organization_id,
                user_id=member.user_id,
                role=member.role,
                created_at=member.created_at,
            )
        )

    async def set_member_role(self, member_id: str, role: str) -> Member:
        row = (
            await self._conn.execute(
                members.update()
                .where(members.c.id == member_id)
                .values(role=role)
                .returning(*members.columns)
            )
        ).one()
        return member_from_row(row)

    async def delete_member(self, member: Member) -> None:
        await self._conn.execute(
            team_members.delete().where(
                team_members.c.organization_id == member.organization_id,
                team_members.c.user_id == member.user_id,
            )
        )
        await self._conn.execute(members.delete().where(members.c.id == member.id))

    async def count_members(self, organization_id: str) -> int:
        query = (
            select(func.count())
            .select_from(members)
            .where(members.c.organization_id == organization_id)
        )
        return int(await self._conn.scalar(query) or 0)

    async def count_owners(self, organization_id: str) -> int:
        query = (
            select(func.count())
            .select_from(members)
            .where(members.c.organization_id == organization_id, holds_role(members.c.role, OWNER))
        )
        return int(await self._conn.scalar(query) or 0)

    async def list_members(
        self, organization_id: str, query: MemberQuery
    ) -> tuple[list[Member], int]:
        conditions: list[ColumnElement[bool]] = [members.c.organization_id == organization_id]
        if query.filter_field is not None:
            conditions.append(_member_filter(query))
        total = await self._conn.scalar(
            select(func.count()).select_from(members).where(*conditions)
        )
        column = members.c[query.sort_by]
        order = column.desc() if query.descending else column.asc()
        rows = await self._conn.execute(
            select(members)
            .where(*conditions)
            .order_by(order, members.c.id)
            .limit(query.limit)
            .offset(query.offset)
        )
        return [member_from_row(row) for row in rows], int(total or 0)

    async def memberships_of(self, user_id: str) -> list[Member]:
        query = select(members).where(members.c.user_id == user_id).order_by(members.c.created_at)
        return [member_from_row(row) for row in await self._conn.execute(query)]


def _member_filter(query: MemberQuery) -> ColumnElement[bool]:
    """The filter of a validated query (domain/member_query.py): names come from its
    allow-list, values are bound parameters."""
    assert query.filter_field is not None
    column = members.c[query.filter_field]
    values = query.filter_values
    operator = query.filter_operator
    if operator == "contains":
        return holds_role(column, str(values[0]))
    if operator == "in":
        return column.in_(values)
    comparisons: dict[str, ColumnElement[bool]] = {
        "eq": column == values[0],
        "ne": column != values[0],
        "lt": column < values[0],
        "lte": column <= values[0],
        "gt": column > values[0],
        "gte": column >= values[0],
    }
    return comparisons[operator]
