"""The session service's consumers: identity's password.changed revokes what the change said
to revoke, idempotently (the kit's EventConsumer applies each event once).

The gateway already revoked synchronously right after identity committed; this is the durable
guarantee for when that call failed (DESIGN §2). Only sessions created before the change go, so
the session a password change hands out, and any sign-in with the new password, survive.
"""

from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh.identity.v1 import identity_pb2
from authmesh_kit.events.catalogue import PASSWORD_CHANGED
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
