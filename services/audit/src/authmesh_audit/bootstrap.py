"""The audit service's composition root, and its `verify` command."""

import asyncio
import json
import os
import sys
from datetime import timedelta

import structlog

from authmesh_audit.api.servicer import AuditServicer, registration
from authmesh_audit.domain.use_cases.verify_chain import verify_chain
from authmesh_audit.events.handlers import AuditEventHandler, count_recorded
from authmesh_audit.settings import AuditSettings
from authmesh_audit.store.chain import PostgresChainStore
from authmesh_audit.store.repository import PostgresAuditStore
from authmesh_audit.store.retention import PostgresRetention
from authmesh_audit.store.tables import SCHEMA
from authmesh_audit.store.webhooks import PostgresWebhookStore
from authmesh_audit.webhooks.deliverer import WebhookDeliverer, WebhookPolicy
from authmesh_kit.db.engine import create_unpooled_engine
from authmesh_kit.events.consumer import BatchEventConsumer
from authmesh_kit.events.names import AUTH_EVENTS, auth_subjects, stream_name
from authmesh_kit.runtime import ServiceRuntime

log = structlog.get_logger(__name__)


async def keep_retention(
    retention: PostgresRetention, age: timedelta, interval_s: float, batch_size: int
) -> None:
    """Removes expired entries now and every `interval_s`, one replica at a time."""
    while True:
        try:
            removed = await retention.remove_older_than(age, batch_size)
            if removed:
                log.info("audit entries past retention removed", entries=removed)
        except Exception as exc:  # noqa: BLE001 - database away: try again next time
            log.warning("audit retention failed", error=str(exc) or type(exc).__name__)
        await asyncio.sleep(interval_s)


async def serve() -> None:
    settings = AuditSettings()  # fields come from the environment
    runtime = ServiceRuntime("audit", settings)
    engine = runtime.database(settings, SCHEMA)
    store = PostgresAuditStore(engine)
    consumer = BatchEventConsumer(
        name="audit",
        namespace=settings.namespace,
        stream=stream_name(settings.namespace, AUTH_EVENTS),
        filter_subject=auth_subjects(settings.namespace),
        nats=runtime.nats,
        engine=engine,
        # No processed-event marks: an append skips the event ids the chain holds already.
        processed=None,
        batch_handler=AuditEventHandler(store),
        # A chained batch costs a transaction of four round trips whatever its size; waiting
        # 50 ms for a busy moment's events to gather shares one among them, and keeps an
        # event's delivery far inside its 1 s budget.
        gather_s=0.05,
        on_applied=count_recorded,
    )
    runtime.spawn(consumer.run(), "audit-consumer")
    age = settings.retention()
    if age is not None:
        retention = PostgresRetention(create_unpooled_engine(settings.database_url, SCHEMA))
        interval = settings.audit_retention_interval_s
        runtime.spawn(
            keep_retention(retention, age, interval, settings.purge_batch_size), "audit-retention"
        )
    if settings.webhook_urls():
        assert settings.audit_webhook_secret is not None  # checked by the settings
        policy = WebhookPolicy(
            secret=settings.audit_webhook_secret.get_secret_value().encode(),
            max_attempts=settings.audit_webhook_max_attempts,
            timeout_s=settings.audit_webhook_timeout_s,
            backoff_s=settings.audit_webhook_backoff_s,
        )
        webhooks = PostgresWebhookStore(engine)
        for url in settings.webhook_urls():
            runtime.spawn(WebhookDeliverer(webhooks, url, policy).run(), f"webhook {url}")
    servicer = AuditServicer(store, PostgresChainStore(engine))
    await runtime.serve([registration(servicer)])


async def verify() -> int:
    """`python -m authmesh_audit verify`: walks the chain with only the database URL, prints
    the outcome as JSON and exits 0 when every link holds, 1 when one does not."""
    url = os.environ.get("AUTHMESH_AUDIT_DATABASE_URL")
    if not url:
        print("AUTHMESH_AUDIT_DATABASE_URL is not set", file=sys.stderr)
        return 2
    engine = create_unpooled_engine(url, SCHEMA)
    try:
        result = await verify_chain(PostgresChainStore(engine))
    finally:
        await engine.dispose()
    report: dict[str, object] = {
        "ok": result.ok,
        "checked": result.checked,
        "anchorSequence": result.anchor.sequence,
        "lastSequence": result.last_sequence,
    }
    if not result.ok:
        report |= {
            "problem": result.problem,
            "brokenSequence": result.broken_sequence,
            "brokenEventId": result.broken_event_id,
            "detail": result.detail,
        }
    print(json.dumps(report))
    return 0 if result.ok else 1
