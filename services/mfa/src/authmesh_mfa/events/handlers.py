"""The mfa service's consumers of identity's account changes (domain/use_cases/
two_factor_account_changes.py), each applied once per event by the kit's EventConsumer, in the
consumer's transaction."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh.identity.v1 import admin_pb2, identity_pb2
from authmesh_kit.events.catalogue import PASSWORD_CHANGED, USER_BANNED, USER_DELETED
from authmesh_kit.events.consumer import Handler
from authmesh_kit.events.envelope import Envelope, unpack
from authmesh_mfa.domain.passkeys import PasskeyTransaction
from authmesh_mfa.domain.ports import TwoFactorTransaction
from authmesh_mfa.domain.use_cases import passkey_management, two_factor_account_changes

TransactionOn = Callable[[AsyncConnection], TwoFactorTransaction]


class PasswordChangedHandler:
    """Every password change and reset revokes the user's trusted devices."""

    def __init__(self, transaction_on: TransactionOn) -> None:
        self._transaction_on = transaction_on

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != PASSWORD_CHANGED.type:
            return
        changed = unpack(envelope, PASSWORD_CHANGED)
        assert isinstance(changed, identity_pb2.PasswordChanged)
        await two_factor_account_changes.revoke_trusted_devices(
            self._transaction_on(conn),
            user_id=changed.user_id,
            reason=f"password-{changed.method}",
            actor=envelope.actor,
        )


class UserBannedHandler:
    """A ban revokes the user's trusted devices: once lifted, sign-in asks for the factor."""

    def __init__(self, transaction_on: TransactionOn) -> None:
        self._transaction_on = transaction_on

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != USER_BANNED.type:
            return
        banned = unpack(envelope, USER_BANNED)
        assert isinstance(banned, admin_pb2.UserBanned)
        await two_factor_account_changes.revoke_trusted_devices(
            self._transaction_on(conn),
            user_id=banned.user_id,
            reason="user-banned",
            actor=envelope.actor,
        )


class UserDeletedHandler:
    def __init__(self, transaction_on: TransactionOn) -> None:
        self._transaction_on = transaction_on

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != USER_DELETED.type:
            return
        deleted = unpack(envelope, USER_DELETED)
        assert isinstance(deleted, identity_pb2.UserDeleted)
        await two_factor_account_changes.forget_user(
            self._transaction_on(conn), user_id=deleted.user_id
        )


def in_turn(*handlers: Handler) -> Handler:
    """One consumer's handler running `handlers` in turn, in its one transaction. An event id is
    processed once per service (the kit's processed_events), so of two consumers of one event
    type only the first to see an event would apply it: an event type gets one consumer."""

    async def handle(conn: AsyncConnection, envelope: Envelope) -> None:
        for handler in handlers:
            await handler(conn, envelope)

    return handle


class DeletedUserPasskeysHandler:
    """A deleted user's passkeys go with it."""

    def __init__(self, transaction_on: Callable[[AsyncConnection], PasskeyTransaction]) -> None:
        self._transaction_on = transaction_on

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != USER_DELETED.type:
            return
        deleted = unpack(envelope, USER_DELETED)
        assert isinstance(deleted, identity_pb2.UserDeleted)
        await passkey_management.delete_user_passkeys(
            self._transaction_on(conn), user_id=deleted.user_id
        )
