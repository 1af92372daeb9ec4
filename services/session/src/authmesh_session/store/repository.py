"""Postgres implementation of the session store; every lookup is by primary key."""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authmesh_kit.db.engine import single_statements
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.outbox import Outbox
from authmesh_session.domain.model import Session
from authmesh_session.store.tables import sessions

_FIELDS = [column for column in sessions.columns if column.name != "token_hash"]
# The statements of every sign-in and session check, built once: building a statement and its
# cache key costs more than running it.
_INSERT = sessions.insert()
# Named apart from the outbox row's parameters (both have an `id`).
_INSERT_ALONE = sessions.insert().values(
    {column.name: bindparam(f"session_{column.name}") for column in sessions.columns}
)
_BY_TOKEN = select(*_FIELDS).where(sessions.c.token_hash == bindparam("token_hash"))


def _session(row: Any) -> Session:
    return Session(**{column.name: row._mapping[column.name] for column in _FIELDS})


class PostgresSessionStore:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self._engine = engine
        self._single = single_statements(engine)  # one-statement reads and writes: no BEGIN, COMMIT
        self._outbox = outbox
        self._create_announced = outbox.with_changes(_INSERT_ALONE.cte("created"))

    async def create(self, session: Session, hashed_token: bytes, *events: Envelope) -> None:
        values = {column.name: getattr(session, column.name) for column in _FIELDS}
        if len(events) == 1:  # every sign-in: the session and its event in one statement
            parameters = {f"session_{name}": value for name, value in values.items()}
            parameters["session_token_hash"] = hashed_token
            async with self._single.connect() as conn:
                await conn.execute(
                    self._create_announced, parameters | self._outbox.event_parameters(events[0])
                )
            return
        async with self._engine.begin() as conn:
            await conn.execute(_INSERT, {"token_hash": hashed_token, **values})
            await self._outbox.add(conn, *events)

    async def get(self, hashed_token: bytes) -> Session | None:
        async with self._single.connect() as conn:
            row = (await conn.execute(_BY_TOKEN, {"token_hash": hashed_token})).first()
        return _session(row) if row else None

    async def extend(self, hashed_token: bytes, expires_at: datetime, updated_at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                sessions.update()
                .where(sessions.c.token_hash == hashed_token)
                .values(expires_at=expires_at, updated_at=updated_at)
            )

    async def delete(
        self, hashed_token: bytes, events_for: Callable[[Session], Sequence[Envelope]]
    ) -> Session | None:
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    sessions.delete()
                    .where(sessions.c.token_hash == hashed_token)
                    .returning(*_FIELDS)
                )
            ).first()
            if row is None:
                return None
            session = _session(row)
            await self._outbox.add(conn, *events_for(session))
        return session

    async def delete_for_user(
        self,
        user_id: str,
        events_for: Callable[[Session, bytes], Sequence[Envelope]],
        *,
        keep: bytes | None = None,
        created_before: datetime | None = None,
        conn: AsyncConnection | None = None,
    ) -> list[Session]:
        if conn is None:
            async with self._engine.begin() as own:
                return await self._delete_for_user(own, user_id, events_for, keep, created_before)
        return await self._delete_for_user(conn, user_id, events_for, keep, created_before)

    async def _delete_for_user(
        self,
        conn: AsyncConnection,
        user_id: str,
        events_for: Callable[[Session, bytes], Sequence[Envelope]],
        keep: bytes | None,
        created_before: datetime | None,
    ) -> list[Session]:
        statement = sessions.delete().where(sessions.c.user_id == user_id)
        if keep is not None:
            statement = statement.where(sessions.c.token_hash != keep)
        if created_before is not None:
            statement = statement.where(sessions.c.created_at < created_before)
        rows = (await conn.execute(statement.returning(sessions.c.token_hash, *_FIELDS))).all()
        deleted = [(_session(row), bytes(row.token_hash)) for row in rows]
        await self._outbox.add(
            conn, *(event for session, hashed in deleted for event in events_for(session, hashed))
        )
        return [session for session, _ in deleted]

    async def list_for_user(self, user_id: str, now: datetime, limit: int) -> list[Session]:
        # The newest `limit` through the user index, then back to oldest first.
        async with self._single.connect() as conn:
            rows = (
                await conn.execute(
                    select(*_FIELDS)
                    .where(sessions.c.user_id == user_id, sessions.c.expires_at > now)
                    .order_by(sessions.c.created_at.desc(), sessions.c.id.desc())
                    .limit(limit)
                )
            ).all()
        return [_session(row) for row in reversed(rows)]

    async def delete_one_for_user(
        self,
        user_id: str | None,
        hashed_token: bytes,
        session_id: str,
        events_for: Callable[[Session, bytes], Sequence[Envelope]],
    ) -> Session | None:
        # At most one row in practice: a token never equals another session's id.
        statement = sessions.delete().where(
            or_(sessions.c.token_hash == hashed_token, sessions.c.id == session_id)
        )
        if user_id is not None:
            statement = statement.where(sessions.c.user_id == user_id)
        async with self._engine.begin() as conn:
            rows = (await conn.execute(statement.returning(sessions.c.token_hash, *_FIELDS))).all()
            deleted = [(_session(row), bytes(row.token_hash)) for row in rows]
            await self._outbox.add(
                conn,
                *(event for session, hashed in deleted for event in events_for(session, hashed)),
            )
        return deleted[0][0] if deleted else None

    async def delete_expired(self, hashed_token: bytes) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sessions.delete().where(sessions.c.token_hash == hashed_token))

    async def set_active(
        self,
        hashed_token: bytes,
        now: datetime,
        changes: Mapping[str, str | None],
        events_for: Callable[[Session], Sequence[Envelope]],
    ) -> Session | None:
        live = (sessions.c.token_hash == hashed_token, sessions.c.expires_at > now)
        async with self._engine.begin() as conn:
            if changes:
                update = sessions.update().where(*live).values(**changes).returning(*_FIELDS)
                row = (await conn.execute(update)).first()
            else:
                row = (await conn.execute(select(*_FIELDS).where(*live))).first()
            if row is None:
                return None
            session = _session(row)
            if changes:
                await self._outbox.add(conn, *events_for(session))
        return session
