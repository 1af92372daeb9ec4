"""The notify service's composition root: the channels chosen by settings, the renderer, the
test outbox in test mode only, and the NOTIFY consumer.

Notify serves no RPC of its own; its gRPC server answers health and reflection only, so it is
probed like every other process.
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import redis.asyncio

from authmesh_kit.runtime import ServiceRuntime
from authmesh_kit.settings import Mode
from authmesh_notify.delivery.console import ConsoleEmail, ConsoleSms
from authmesh_notify.delivery.outbox import RedisTestOutbox
from authmesh_notify.delivery.smtp import SmtpEmailSender
from authmesh_notify.delivery.twilio import TwilioSms
from authmesh_notify.domain.addresses import parse_sender
from authmesh_notify.domain.deliver import Deliverer
from authmesh_notify.domain.ports import EmailSender, OutboxRecorder, SmsProvider
from authmesh_notify.domain.retry import RetryPolicy
from authmesh_notify.events.dead_letters import JetStreamDeadLetters
from authmesh_notify.events.handlers import NotifyConsumer, NotifyHandler
from authmesh_notify.rendering import TemplateRenderer
from authmesh_notify.settings import NotifySettings, SmsProviderName


def utc_now() -> datetime:
    return datetime.now(UTC)


def email_sender(settings: NotifySettings) -> EmailSender:
    if not settings.smtp_host:
        return ConsoleEmail()  # development and test only: production requires a host
    return SmtpEmailSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        timeout_s=settings.smtp_timeout_s,
        sender=parse_sender(settings.smtp_from),
        username=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        ca_file=settings.smtp_ca_file,
    )


@contextlib.asynccontextmanager
async def sms_provider(settings: NotifySettings) -> AsyncIterator[SmsProvider]:
    if settings.sms_provider is SmsProviderName.CONSOLE:
        yield ConsoleSms()
        return
    assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from
    twilio = TwilioSms(
        base_url=settings.twilio_base_url,
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        sender=settings.twilio_from,
        timeout_s=settings.sms_timeout_s,
    )
    try:
        yield twilio
    finally:
        await twilio.aclose()


@contextlib.asynccontextmanager
async def outbox_recorder(settings: NotifySettings) -> AsyncIterator[OutboxRecorder | None]:
    """The test outbox exists in test mode only; production never writes it."""
    if settings.mode is not Mode.TEST:
        yield None
        return
    client = redis.asyncio.from_url(settings.redis_url)
    try:
        yield RedisTestOutbox(client, settings.namespace)
    finally:
        await client.aclose()


async def serve() -> None:
    settings = NotifySettings()  # fields come from the environment
    runtime = ServiceRuntime("notify", settings)
    policy = RetryPolicy(settings.notify_retry_delays_s)
    renderer = TemplateRenderer(
        app_name=settings.app_name, clock=utc_now, overrides=settings.templates_dir
    )
    async with sms_provider(settings) as sms, outbox_recorder(settings) as outbox:
        deliverer = Deliverer(
            renderer=renderer,
            email=email_sender(settings),
            sms=sms,
            outbox=outbox,
            clock=utc_now,
        )
        handler = NotifyHandler(
            key_ring=settings.key_ring(),
            deliverer=deliverer,
            dead_letters=JetStreamDeadLetters(runtime.nats, settings.namespace),
            policy=policy,
            clock=utc_now,
        )
        consumer = NotifyConsumer(
            namespace=settings.namespace,
            nats=runtime.nats,
            handler=handler,
            policy=policy,
            ack_wait_s=settings.ack_wait_s,
            concurrency=settings.notify_concurrency,
        )
        runtime.spawn(consumer.run(), "notify-consumer")
        await runtime.serve([])
