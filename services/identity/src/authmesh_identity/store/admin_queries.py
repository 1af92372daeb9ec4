"""The admin listing of users on Postgres (domain/admin_user_query.py, `UserDirectory`).

Columns come only from the query's allow-list and values only as bound parameters; search
patterns escape `\\`, `%` and `_` (LIKE's default escape character is the backslash), so what
an admin types is always data. The page and its total run in one transaction under
`statement_timeout`: substring search may read the whole users table (no btree serves
`%x%`), everything else is served by the indexes of migration 0007. Plans are custom (the
parameters are constants to the planner), so that a `starts_with` pattern can use the
text_pattern_ops indexes even after asyncpg's prepared statement has run a few times.

The total of an unfiltered listing is the sum of `user_counts`, which migration 0008's triggers
keep in the same transaction as every insert and delete of users: exact, and a read of 16 rows
however many users there are. A filtered total counts the index entries that match.
"""

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from authmesh_identity.domain.admin_user_query import Condition, Operator, UserPage, UserQuery
from authmesh_identity.domain.errors import DOMAIN
from authmesh_identity.store.repository import user_from_row
from authmesh_identity.store.tables import user_counts, users
from authmesh_kit.errors import DomainError, ErrorKind

_QUERY_CANCELED = "57014"  # SQLSTATE of a statement stopped by statement_timeout


def search_timeout() -> DomainError:
    return DomainError(
        ErrorKind.DEADLINE_EXCEEDED,
        "SEARCH_TIMEOUT",
        DOMAIN,
        "The search took too long; search for a longer or a leading part of the value",
    )


def like_pattern(operator: Operator, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if operator is Operator.STARTS_WITH:
        return f"{escaped}%"
    if operator is Operator.ENDS_WITH:
        return f"%{escaped}"
    return f"%{escaped}%"


def condition_clause(condition: Condition) -> ColumnElement[bool]:
    column = users.c[condition.column]
    value = condition.values[0]
    match condition.operator:
        case Operator.EQ:
            return column == value
        case Operator.LT:
            return column < value
        case Operator.LTE:
            return column <= value
        case Operator.GT:
            return column > value
        case Operator.GTE:
            return column >= value
        case Operator.IN:
            return column.in_(condition.values)
        case Operator.CONTAINS | Operator.STARTS_WITH | Operator.ENDS_WITH:
            return column.like(like_pattern(condition.operator, str(value)))


class PostgresUserDirectory:
    def __init__(self, engine: AsyncEngine, timeout_ms: int) -> None:
        self._engine = engine
        self._timeout_ms = timeout_ms

    async def list_users(self, query: UserQuery) -> UserPage:
        where = [condition_clause(condition) for condition in query.conditions]
        order = [
            users.c[column].desc() if query.descending else users.c[column].asc()
            for column in query.order_by
        ]
        page = select(users).where(*where).order_by(*order).limit(query.limit)
        if query.offset:
            page = page.offset(query.offset)
        total = (
            select(func.count()).select_from(users).where(*where)
            if where
            else select(func.coalesce(func.sum(user_counts.c.users), 0))
        )
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    select(
                        func.set_config("statement_timeout", str(self._timeout_ms), True),
                        func.set_config("plan_cache_mode", "force_custom_plan", True),
                    )
                )
                rows = (await conn.execute(page)).all()
                count = await conn.scalar(total)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == _QUERY_CANCELED:
                raise search_timeout() from None
            raise
        return UserPage([user_from_row(row) for row in rows], int(count or 0), query.limit)
