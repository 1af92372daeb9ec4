"""The audit service's composition root."""

from authmesh_audit.api.servicer import AuditServicer, registration
from authmesh_audit.events.handlers import AuditEventHandler
from authmesh_audit.settings import AuditSettings
from authmesh_audit.store.repository import PostgresAuditStore
from authmesh_audit.store.tables import SCHEMA, processed_events
from authmesh_kit.db.purge import processed_events_rule
from authmesh_kit.events.consumer import EventConsumer
from authmesh_kit.events.names import AUTH_EVENTS, auth_subjects, stream_name
from authmesh_kit.runtime import ServiceRuntime


async def serve() -> None:
    settings = AuditSettings()  # fields come from the environment
    runtime = ServiceRuntime("audit", settings)
    engine = runtime.database(settings, SCHEMA)
    store = PostgresAuditStore(engine)
    consumer = EventConsumer(
        name="audit",
        namespace=settings.namespace,
        stream=stream_name(settings.namespace, AUTH_EVENTS),
        filter_subject=auth_subjects(settings.namespace),
        nats=runtime.nats,
        engine=engine,
        processed=processed_events,
        handler=AuditEventHandler(store),
    )
    runtime.spawn(consumer.run(), "audit-consumer")
    runtime.purge([processed_events_rule(processed_events, settings)], settings)
    await runtime.serve([registration(AuditServicer(store))])
