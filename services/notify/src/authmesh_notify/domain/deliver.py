"""The use case: render a notification for its channel, send it, and in test mode keep a copy.

The copy goes to the test outbox only after the channel accepted the message, and a failure to
write it never fails the delivery: a second try would send the email twice.
"""

from collections.abc import Callable
from datetime import datetime

import structlog

from authmesh_notify.domain.addresses import check_email_address, check_phone_number
from authmesh_notify.domain.model import Channel, Notification
from authmesh_notify.domain.ports import EmailSender, OutboxRecorder, Renderer, SmsProvider

log = structlog.get_logger(__name__)


class Deliverer:
    def __init__(
        self,
        *,
        renderer: Renderer,
        email: EmailSender,
        sms: SmsProvider,
        outbox: OutboxRecorder | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._renderer = renderer
        self._email = email
        self._sms = sms
        self._outbox = outbox
        self._clock = clock

    async def deliver(self, notification: Notification) -> None:
        """Raises a DeliveryError when the channel did not take the message."""
        if notification.channel is Channel.EMAIL:
            check_email_address(notification.to)
            await self._email.send(self._renderer.email(notification))
        else:
            check_phone_number(notification.to)
            await self._sms.send(self._renderer.sms(notification), message_type=notification.type)
        if self._outbox is not None:
            try:
                await self._outbox.record(notification, self._clock())
            except Exception as exc:  # noqa: BLE001 - the message is out; never send it twice
                log.error("test outbox write failed", id=notification.id, error=type(exc).__name__)
