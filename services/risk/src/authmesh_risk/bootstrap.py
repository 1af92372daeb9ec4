"""The risk service's composition root."""

import asyncio

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.events.catalogue import (
    EMAIL_CODE_FAILED,
    PHONE_CODE_FAILED,
    SESSION_CREATED,
    SIGN_IN_FAILED,
    TWO_FACTOR_FAILED,
    USER_CREATED,
    USER_DELETED,
    EventType,
)
from authmesh_kit.events.consumer import EventConsumer, Handler
from authmesh_kit.events.names import AUTH_EVENTS, event_subject, stream_name
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.runtime import ServiceRuntime
from authmesh_risk.api.servicer import RiskServicer, registration
from authmesh_risk.domain.assessing import Policy
from authmesh_risk.domain.geo import GeoLocator
from authmesh_risk.events.handlers import (
    FailureHandler,
    SessionCreatedHandler,
    SignUpHandler,
    UserDeletedHandler,
)
from authmesh_risk.settings import RiskSettings
from authmesh_risk.store.counters import RedisCounters
from authmesh_risk.store.history import PostgresHistory
from authmesh_risk.store.purge import purge_rules
from authmesh_risk.store.tables import SCHEMA, outbox


async def serve() -> None:
    settings = RiskSettings()  # fields come from the environment
    runtime = ServiceRuntime("risk", settings)
    engine = runtime.database(settings, SCHEMA)
    key_ring = KeyRing.from_spec(settings.encryption_keys.get_secret_value())
    sealing_outbox = Outbox(outbox, settings.namespace, key_ring)
    runtime.relay_outbox(engine, outbox)
    runtime.purge(purge_rules(settings), settings)
    # The databases load in about a second: off the loop, before serving.
    geo = await asyncio.to_thread(GeoLocator, settings.risk_geoip_path)
    counters = RedisCounters.connect(settings.redis_url, settings.namespace, settings.windows())

    failures = FailureHandler(counters, geo)
    learners: tuple[tuple[str, EventType, Handler], ...] = (
        ("sign-in-failed", SIGN_IN_FAILED, failures),
        ("email-code-failed", EMAIL_CODE_FAILED, failures),
        ("phone-code-failed", PHONE_CODE_FAILED, failures),
        ("two-factor-failed", TWO_FACTOR_FAILED, failures),
        ("user-created", USER_CREATED, SignUpHandler(counters, geo)),
        ("session-created", SESSION_CREATED, SessionCreatedHandler(counters, geo)),
        ("user-deleted", USER_DELETED, UserDeletedHandler()),
    )
    for name, event, handler in learners:
        # Every handler is idempotent by itself (events/handlers.py): no processed-event ids.
        consumer = EventConsumer(
            name=f"risk-{name}",
            namespace=settings.namespace,
            stream=stream_name(settings.namespace, AUTH_EVENTS),
            filter_subject=event_subject(settings.namespace, event.type),
            nats=runtime.nats,
            engine=engine,
            processed=None,
            handler=handler,
        )
        runtime.spawn(consumer.run(), f"{name}-consumer")
    servicer = RiskServicer(
        PostgresHistory(engine, sealing_outbox),
        counters,
        geo,
        Policy(
            weights=settings.weights(),
            thresholds=settings.thresholds(),
            notify_new_sign_in=settings.risk_notify_new_sign_in,
        ),
    )
    try:
        await runtime.serve([registration(servicer)])
    finally:
        await counters.close()
