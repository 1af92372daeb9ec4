"""Identity's consumers of other services' events, each applied once per event by the kit's
EventConsumer, in the consumer's transaction: mfa's enrolled and disabled events set
`twoFactorEnabled` (domain/use_cases/two_factor.py), the durable half of what the gateway
also asks for at once."""

from collections.abc import Callable
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh.mfa.v1 import mfa_pb2
from authmesh_identity.domain.ports import AccountTransaction
from authmesh_identity.domain.use_cases.two_factor import apply_two_factor_change
from authmesh_kit.events.catalogue import TWO_FACTOR_DISABLED, TWO_FACTOR_ENROLLED
from authmesh_kit.events.envelope import Envelope, unpack

TransactionOn = Callable[[AsyncConnection], AccountTransaction]


class TwoFactorChangedHandler:
    def __init__(self, transaction_on: TransactionOn) -> None:
        self._transaction_on = transaction_on

    async def __call__(self, conn: AsyncConnection, envelope: Envelope) -> None:
        if envelope.type == TWO_FACTOR_ENROLLED.type:
            enrolled = unpack(envelope, TWO_FACTOR_ENROLLED)
            assert isinstance(enrolled, mfa_pb2.TwoFactorEnrolled)
            user_id, enabled, changed_at = enrolled.user_id, True, enrolled.changed_at
        elif envelope.type == TWO_FACTOR_DISABLED.type:
            disabled = unpack(envelope, TWO_FACTOR_DISABLED)
            assert isinstance(disabled, mfa_pb2.TwoFactorDisabled)
            user_id, enabled, changed_at = disabled.user_id, False, disabled.changed_at
        else:
            return
        await apply_two_factor_change(
            self._transaction_on(conn),
            user_id=user_id,
            enabled=enabled,
            changed_at=changed_at.ToDatetime(tzinfo=UTC),
        )
