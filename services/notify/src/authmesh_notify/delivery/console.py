"""Channels for development: they log that a message would have gone out, and to whom only as
much as logs may show (the email's domain, the phone's last two digits) — never the body,
which carries the code or link."""

import structlog

from authmesh_notify.domain.addresses import email_domain, phone_hint
from authmesh_notify.domain.model import Email, Sms

log = structlog.get_logger(__name__)


class ConsoleEmail:
    """Without AUTHMESH_SMTP_HOST outside production (`make up` runs a catcher instead)."""

    async def send(self, email: Email) -> None:
        log.warning("email not sent: no SMTP server", recipient_domain=email_domain(email.to))


class ConsoleSms:
    async def send(self, sms: Sms, *, message_type: str) -> None:
        log.info("sms (console)", recipient=phone_hint(sms.to), type=message_type)
