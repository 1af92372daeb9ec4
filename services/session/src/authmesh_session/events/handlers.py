"""The session service's consumers of identity's account changes, each revoking what the
change said to revoke, idempotently (the kit's EventConsumer applies each event once):
password.changed and email.changed the sessions created before the change, user.deleted and
user.banned all.

The gateway already revoked synchronously right after identity committed; this is the durable
guarantee for when that call failed (DESIGN §2). After a password or email change only sessions
created before it go, so the session the change hands out, and any later sign-in, survive.
"""

from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh.identity.v1 import admin_pb2, identity_pb2
from authmesh_kit.events.catalogue import EMAIL_CHANGED, PASSWORD_CHANGED, USER_BANNED, USER_DELETED
from authmesh_kit.events.envelope import Envelope, unpack
from authmesh_session.domain.ports import SessionStore
from authmesh_session.domain.use_cases.revoke_user_sessions import revoke_user_sessions


class PasswordChangedHandler:
    def __init__(self, store: SessionStore) -> None:
        self._store = store

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != PASSWORD_CHANGED.type:
            return
        changed = unpack(envelope, PASSWORD_CHANGED)
        assert isinstance(changed, identity_pb2.PasswordChanged)
        if not changed.revoke_sessions:
            return
        await revoke_user_sessions(
            self._store,
            user_id=changed.user_id,
            except_token=None,
            reason=f"password-{changed.method}",
            actor=envelope.actor,
            created_before=envelope.occurred_at.ToDatetime(tzinfo=UTC),
            conn=conn,
        )


class EmailChangedHandler:
    def __init__(self, store: SessionStore) -> None:
        self._store = store

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != EMAIL_CHANGED.type:
            return
        changed = unpack(envelope, EMAIL_CHANGED)
        assert isinstance(changed, identity_pb2.EmailChanged)
        await revoke_user_sessions(
            self._store,
            user_id=changed.user_id,
            except_token=None,
            reason="email-change",
            actor=envelope.actor,
            created_before=envelope.occurred_at.ToDatetime(tzinfo=UTC),
            conn=conn,
        )


class UserDeletedHandler:
    """Every session of the user, also one created in a race with the deletion."""

    def __init__(self, store: SessionStore) -> None:
        self._store = store

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != USER_DELETED.type:
            return
        deleted = unpack(envelope, USER_DELETED)
        assert isinstance(deleted, identity_pb2.UserDeleted)
        await revoke_user_sessions(
            self._store,
            user_id=deleted.user_id,
            except_token=None,
            reason="user-deleted",
            actor=envelope.actor,
            conn=conn,
        )


class UserBannedHandler:
    """Every session of the user: a banned user keeps none (Better-Auth deletes them all). One
    created in a race with the ban goes too; a sign-in after the ban is refused by identity."""

    def __init__(self, store: SessionStore) -> None:
        self._store = store

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != USER_BANNED.type:
            return
        banned = unpack(envelope, USER_BANNED)
        assert isinstance(banned, admin_pb2.UserBanned)
        await revoke_user_sessions(
            self._store,
            user_id=banned.user_id,
            except_token=None,
            reason="banned",
            actor=envelope.actor,
            conn=conn,
        )
