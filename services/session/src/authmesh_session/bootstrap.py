"""The session service's composition root."""

from datetime import timedelta

from authmesh_kit.events.catalogue import PASSWORD_CHANGED
from authmesh_kit.events.consumer import EventConsumer
from authmesh_kit.events.names import AUTH_EVENTS, event_subject, stream_name
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.runtime import ServiceRuntime
from authmesh_session.api.servicer import SessionServicer, registration
from authmesh_session.domain.model import SessionLifetimes
from authmesh_session.events.handlers import PasswordChangedHandler
from authmesh_session.settings import SessionSettings
from authmesh_session.store.repository import PostgresSessionStore
from authmesh_session.store.tables import SCHEMA, outbox, processed_events


async def serve() -> None:
    settings = SessionSettings()  # fields come from the environment
    runtime = ServiceRuntime("session", settings)
    engine = runtime.database(settings, SCHEMA)
    store = PostgresSessionStore(engine, Outbox(outbox, settings.namespace))
    lifetimes = SessionLifetimes(
        expires_in=timedelta(seconds=settings.session_expires_in_s),
        update_age=timedelta(seconds=settings.session_update_age_s),
        dont_remember_expires_in=timedelta(seconds=settings.dont_remember_expires_in_s),
    )
    runtime.relay_outbox(engine, outbox)
    password_changes = EventConsumer(
        name="session-password-changed",
        namespace=settings.namespace,
        stream=stream_name(settings.namespace, AUTH_EVENTS),
        filter_subject=event_subject(settings.namespace, PASSWORD_CHANGED.type),
        nats=runtime.nats,
        engine=engine,
        processed=processed_events,
        handler=PasswordChangedHandler(store),
    )
    runtime.spawn(password_changes.run(), "password-changed-consumer")
    await runtime.serve([registration(SessionServicer(store, lifetimes))])
