"""The mfa service's composition root."""

from sqlalchemy.ext.asyncio import AsyncConnection

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.events.catalogue import PASSWORD_CHANGED, USER_BANNED, USER_DELETED, EventType
from authmesh_kit.events.consumer import EventConsumer, Handler
from authmesh_kit.events.names import AUTH_EVENTS, event_subject, stream_name
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.runtime import ServiceRuntime
from authmesh_mfa.api import passkey_servicer
from authmesh_mfa.api.servicer import TwoFactorServicer, registration
from authmesh_mfa.events.handlers import (
    DeletedUserPasskeysHandler,
    PasswordChangedHandler,
    UserBannedHandler,
    UserDeletedHandler,
    in_turn,
)
from authmesh_mfa.settings import MfaSettings
from authmesh_mfa.store.passkeys import PostgresPasskeyTransaction, PostgresPasskeyUnitOfWork
from authmesh_mfa.store.purge import purge_rules
from authmesh_mfa.store.tables import SCHEMA, outbox, processed_events
from authmesh_mfa.store.two_factor_uow import (
    PostgresTwoFactorTransaction,
    PostgresTwoFactorUnitOfWork,
)


async def serve() -> None:
    settings = MfaSettings()  # fields come from the environment
    runtime = ServiceRuntime("mfa", settings)
    engine = runtime.database(settings, SCHEMA)
    key_ring = KeyRing.from_spec(settings.encryption_keys.get_secret_value())
    sealing_outbox = Outbox(outbox, settings.namespace, key_ring)
    runtime.relay_outbox(engine, outbox)
    runtime.purge(purge_rules(settings), settings)

    # Identity's account changes that reach second factors, one durable consumer each.
    def transaction_on(conn: AsyncConnection) -> PostgresTwoFactorTransaction:
        return PostgresTwoFactorTransaction(conn, sealing_outbox)

    account_changes: tuple[tuple[str, EventType, Handler], ...] = (
        ("password-changed", PASSWORD_CHANGED, PasswordChangedHandler(transaction_on)),
        ("user-banned", USER_BANNED, UserBannedHandler(transaction_on)),
        (
            "user-deleted",
            USER_DELETED,
            in_turn(
                UserDeletedHandler(transaction_on),
                DeletedUserPasskeysHandler(
                    lambda conn: PostgresPasskeyTransaction(conn, sealing_outbox)
                ),
            ),
        ),
    )
    for name, event, handler in account_changes:
        consumer = EventConsumer(
            name=f"mfa-{name}",
            namespace=settings.namespace,
            stream=stream_name(settings.namespace, AUTH_EVENTS),
            filter_subject=event_subject(settings.namespace, event.type),
            nats=runtime.nats,
            engine=engine,
            processed=processed_events,
            handler=handler,
        )
        runtime.spawn(consumer.run(), f"{name}-consumer")
    two_factor = TwoFactorServicer(
        PostgresTwoFactorUnitOfWork(engine, sealing_outbox), key_ring, settings.policy()
    )
    passkeys = passkey_servicer.PasskeyServicer(
        PostgresPasskeyUnitOfWork(engine, sealing_outbox), settings.relying_party()
    )
    await runtime.serve([registration(two_factor), passkey_servicer.registration(passkeys)])
