"""The org service's composition root."""

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.events.catalogue import USER_DELETED
from authmesh_kit.events.consumer import EventConsumer
from authmesh_kit.events.live_events import LiveEvents
from authmesh_kit.events.names import AUTH_EVENTS, event_subject, stream_name
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.grpc.service_auth import ServiceTokenVerifier, parse_public_keys
from authmesh_kit.runtime import ServiceRuntime
from authmesh_org.api.servicer import OrgServicer, registration
from authmesh_org.domain.permission_cache import PermissionCache
from authmesh_org.domain.use_cases.common import OrgContext
from authmesh_org.events.handlers import UserDeletedHandler
from authmesh_org.settings import OrgSettings
from authmesh_org.store.purge import purge_rules
from authmesh_org.store.tables import SCHEMA, outbox, processed_events
from authmesh_org.store.uow import (
    PostgresAccessReader,
    PostgresOrgTransaction,
    PostgresOrgUnitOfWork,
)

# Every org event's subject: `<namespace>.auth.org.<entity>.<verb>`.
ORG_EVENTS = "auth.org.>"


async def serve() -> None:
    settings = OrgSettings()  # fields come from the environment
    runtime = ServiceRuntime("org", settings)
    backends = settings.permission_caller_keys()
    if backends:
        # Internal backends authenticate like services, with keys only the org service knows.
        spec = ",".join([settings.service_public_keys, *(f"{n}:{k}" for n, k in backends.items())])
        runtime.verifier = ServiceTokenVerifier("org", parse_public_keys(spec))
    engine = runtime.database(settings, SCHEMA)
    key_ring = KeyRing.from_spec(settings.encryption_keys.get_secret_value())
    sealing_outbox = Outbox(outbox, settings.namespace, key_ring)
    runtime.relay_outbox(engine, outbox)
    runtime.purge(purge_rules(settings), settings)

    stream = stream_name(settings.namespace, AUTH_EVENTS)
    consumer = EventConsumer(
        name="org-user-deleted",
        namespace=settings.namespace,
        stream=stream,
        filter_subject=event_subject(settings.namespace, USER_DELETED.type),
        nats=runtime.nats,
        engine=engine,
        processed=processed_events,
        handler=UserDeletedHandler(lambda conn: PostgresOrgTransaction(conn, sealing_outbox)),
    )
    runtime.spawn(consumer.run(), "user-deleted-consumer")

    access_control = settings.access_control()
    cache = PermissionCache(
        PostgresAccessReader(engine), access_control, settings.org_permission_cache_organizations
    )
    live = LiveEvents(
        runtime.nats,
        stream=stream,
        subjects=[f"{settings.namespace}.{ORG_EVENTS}"],
        on_event=lambda envelope: cache.invalidate(envelope.subject.organization_id),
        on_trust=cache.set_trusted,
        name="permissions",
    )
    runtime.spawn(live.run(), "permission-cache-events")

    ctx = OrgContext(access_control, settings.policy(), settings.invitation_url)
    servicer = OrgServicer(PostgresOrgUnitOfWork(engine, sealing_outbox), ctx, cache)
    await runtime.serve([registration(servicer, backends)])
