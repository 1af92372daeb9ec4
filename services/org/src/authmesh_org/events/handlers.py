"""The org service's consumer of identity's user deletions (domain/use_cases/user_deletion.py),
applied once per event by the kit's EventConsumer, in the consumer's transaction."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh.identity.v1 import identity_pb2
from authmesh_kit.events.catalogue import USER_DELETED
from authmesh_kit.events.envelope import Envelope, unpack
from authmesh_org.domain.ports import OrgTransaction
from authmesh_org.domain.use_cases import user_deletion


class UserDeletedHandler:
    def __init__(self, transaction_on: Callable[[AsyncConnection], OrgTransaction]) -> None:
        self._transaction_on = transaction_on

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type != USER_DELETED.type:
            return
        deleted = unpack(envelope, USER_DELETED)
        assert isinstance(deleted, identity_pb2.UserDeleted)
        await user_deletion.forget_user(
            self._transaction_on(conn), user_id=deleted.user_id, actor=envelope.actor
        )
