"""The identity service's composition root."""

import os

from authmesh_identity.api import admin_servicer, passwordless_servicer
from authmesh_identity.api.servicer import IdentityServicer, registration
from authmesh_identity.domain.password_blocklist import bundled_blocklist
from authmesh_identity.domain.passwords import PasswordHasher
from authmesh_identity.domain.use_cases.seed_admin import seed_admin
from authmesh_identity.events.handlers import TwoFactorChangedHandler
from authmesh_identity.settings import IdentitySettings
from authmesh_identity.store.admin_queries import PostgresUserDirectory
from authmesh_identity.store.purge import purge_rules
from authmesh_identity.store.repository import PostgresUserStore
from authmesh_identity.store.tables import SCHEMA, outbox, processed_events
from authmesh_identity.store.uow import PostgresAccountTransaction, PostgresUnitOfWork
from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.events.catalogue import TWO_FACTOR_DISABLED, TWO_FACTOR_ENROLLED
from authmesh_kit.events.consumer import EventConsumer
from authmesh_kit.events.names import AUTH_EVENTS, event_subject, stream_name
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.runtime import ServiceRuntime


async def serve() -> None:
    settings = IdentitySettings()  # fields come from the environment
    runtime = ServiceRuntime("identity", settings)
    engine = runtime.database(settings, SCHEMA)
    key_ring = KeyRing.from_spec(settings.encryption_keys.get_secret_value())
    sealing_outbox = Outbox(outbox, settings.namespace, key_ring)
    store = PostgresUserStore(engine, sealing_outbox)
    uow = PostgresUnitOfWork(engine, sealing_outbox)
    hasher = PasswordHasher(
        settings.argon2_memory_kib,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
        threads=os.cpu_count() or 1,
    )
    policy = settings.password_rules(bundled_blocklist())
    if settings.admin_email and settings.admin_password:
        await seed_admin(
            store,
            hasher,
            policy,
            email=settings.admin_email,
            password=settings.admin_password.get_secret_value(),
        )
    runtime.relay_outbox(engine, outbox)
    runtime.purge(purge_rules(settings), settings)
    # mfa's changes of `twoFactorEnabled`, one durable consumer per event type.
    two_factor_changed = TwoFactorChangedHandler(
        lambda conn: PostgresAccountTransaction(conn, sealing_outbox)
    )
    for event in (TWO_FACTOR_ENROLLED, TWO_FACTOR_DISABLED):
        name = f"two-factor-{event.name.rpartition('.')[2]}"
        consumer = EventConsumer(
            name=f"identity-{name}",
            namespace=settings.namespace,
            stream=stream_name(settings.namespace, AUTH_EVENTS),
            filter_subject=event_subject(settings.namespace, event.type),
            nats=runtime.nats,
            engine=engine,
            processed=processed_events,
            handler=two_factor_changed,
        )
        runtime.spawn(consumer.run(), f"{name}-consumer")
    flows = settings.account_flow_policy()
    admin_policy = settings.admin_policy()
    servicer = IdentityServicer(store, uow, hasher, policy, flows, admin_policy)
    admin = admin_servicer.AdminServicer(
        uow,
        PostgresUserDirectory(engine, settings.admin_search_timeout_ms),
        hasher,
        policy,
        flows,
        admin_policy,
    )
    passwordless = passwordless_servicer.PasswordlessServicer(
        uow, hasher, policy, flows, settings.passwordless_policy()
    )
    await runtime.serve(
        [
            registration(servicer),
            passwordless_servicer.registration(passwordless),
            admin_servicer.registration(admin),
        ]
    )
