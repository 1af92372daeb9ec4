"""The session service's composition root."""

from datetime import timedelta

from authmesh_kit.db.engine import create_engine
from authmesh_kit.events.outbox import Outbox, OutboxRelay
from authmesh_kit.runtime import ServiceRuntime
from authmesh_session.api.servicer import SessionServicer, registration
from authmesh_session.domain.model import SessionLifetimes
from authmesh_session.settings import SessionSettings
from authmesh_session.store.repository import PostgresSessionStore
from authmesh_session.store.tables import SCHEMA, outbox


async def serve() -> None:
    settings = SessionSettings()  # fields come from the environment
    runtime = ServiceRuntime("session", settings)
    engine = create_engine(
        settings.database_url, SCHEMA, settings.database_pool_size, settings.database_max_overflow
    )
    store = PostgresSessionStore(engine, Outbox(outbox, settings.namespace))
    lifetimes = SessionLifetimes(
        expires_in=timedelta(seconds=settings.session_expires_in_s),
        update_age=timedelta(seconds=settings.session_update_age_s),
        dont_remember_expires_in=timedelta(seconds=settings.dont_remember_expires_in_s),
    )
    runtime.spawn(OutboxRelay(engine, outbox, runtime.nats).run(), "outbox-relay")
    try:
        await runtime.serve([registration(SessionServicer(store, lifetimes))])
    finally:
        await engine.dispose()
