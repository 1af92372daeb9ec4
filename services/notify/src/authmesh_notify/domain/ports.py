"""What the delivery use case needs from the outside world, as Protocols (STYLE §3)."""

from datetime import datetime
from typing import Protocol

from authmesh_notify.domain.model import Email, Notification, Sms


class Renderer(Protocol):
    """Raises TemplateError when a template is missing or fails."""

    def email(self, notification: Notification) -> Email: ...

    def sms(self, notification: Notification) -> Sms: ...


class EmailSender(Protocol):
    """Returns once the server accepted the message; raises a DeliveryError otherwise."""

    async def send(self, email: Email) -> None: ...


class SmsProvider(Protocol):
    """Returns once the provider accepted the message; raises a DeliveryError otherwise.
    `message_type` is for logs: an adapter never logs the body, which holds the code."""

    async def send(self, sms: Sms, *, message_type: str) -> None: ...


class OutboxRecorder(Protocol):
    """The test outbox (test mode only): a copy of each delivered message for black-box tests."""

    async def record(self, notification: Notification, delivered_at: datetime) -> None: ...
