"""The session service's composition root."""

from datetime import timedelta

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.db.purge import PurgeRule, older_than, processed_events_rule
from authmesh_kit.events.catalogue import (
    EMAIL_CHANGED,
    PASSWORD_CHANGED,
    USER_BANNED,
    USER_DELETED,
    EventType,
)
from authmesh_kit.events.consumer import EventConsumer, Handler
from authmesh_kit.events.names import AUTH_EVENTS, event_subject, stream_name
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.runtime import ServiceRuntime
from authmesh_session.api.servicer import SessionServicer, registration
from authmesh_session.api.tokens_servicer import TokenServicer, token_registration
from authmesh_session.domain.key_set import KeySet
from authmesh_session.domain.model import SessionLifetimes
from authmesh_session.events.handlers import (
    EmailChangedHandler,
    PasswordChangedHandler,
    UserBannedHandler,
    UserDeletedHandler,
)
from authmesh_session.settings import SessionSettings
from authmesh_session.store.repository import PostgresSessionStore
from authmesh_session.store.signing_keys import PostgresSigningKeyStore
from authmesh_session.store.tables import SCHEMA, outbox, processed_events, sessions


async def serve() -> None:
    settings = SessionSettings()  # fields come from the environment
    runtime = ServiceRuntime("session", settings)
    engine = runtime.database(settings, SCHEMA)
    store = PostgresSessionStore(engine, Outbox(outbox, settings.namespace))
    lifetimes = SessionLifetimes(
        expires_in=timedelta(seconds=settings.session_expires_in_s),
        update_age=timedelta(seconds=settings.session_update_age_s),
        dont_remember_expires_in=timedelta(seconds=settings.dont_remember_expires_in_s),
        impersonation_expires_in=timedelta(seconds=settings.impersonation_expires_in_s),
    )
    runtime.relay_outbox(engine, outbox)
    expired_after = timedelta(seconds=settings.purge_expired_after_s)
    purge_rules = [
        PurgeRule(sessions, older_than(sessions.c.expires_at, expired_after)),
        processed_events_rule(processed_events, settings),
    ]
    runtime.purge(purge_rules, settings)
    # Identity's account changes that revoke sessions, one durable consumer each.
    account_changes: tuple[tuple[str, EventType, Handler], ...] = (
        ("password-changed", PASSWORD_CHANGED, PasswordChangedHandler(store)),
        ("email-changed", EMAIL_CHANGED, EmailChangedHandler(store)),
        ("user-deleted", USER_DELETED, UserDeletedHandler(store)),
        ("user-banned", USER_BANNED, UserBannedHandler(store)),
    )
    for name, event, handler in account_changes:
        consumer = EventConsumer(
            name=f"session-{name}",
            namespace=settings.namespace,
            stream=stream_name(settings.namespace, AUTH_EVENTS),
            filter_subject=event_subject(settings.namespace, event.type),
            nats=runtime.nats,
            engine=engine,
            processed=processed_events,
            handler=handler,
        )
        runtime.spawn(consumer.run(), f"{name}-consumer")
    jwt_policy = settings.jwt_policy()
    key_set = KeySet(
        PostgresSigningKeyStore(engine),
        KeyRing.from_spec(settings.encryption_keys.get_secret_value()),
        jwt_policy,
    )
    tokens = TokenServicer(store, lifetimes, key_set, jwt_policy)
    await runtime.serve(
        [
            registration(SessionServicer(store, lifetimes)),
            token_registration(tokens, settings.token_callers()),
        ]
    )
