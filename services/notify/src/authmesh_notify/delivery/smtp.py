"""Email over SMTP (RFC 5321) with aiosmtplib: one connection per message, STARTTLS or TLS,
optional authentication, a timeout on every step and one on the whole.

The message is a stdlib `EmailMessage` whose headers come only from checked values: a recipient
that passed `check_email_address`, the configured sender and a subject with control characters
removed. Failures are sorted for the queue: a 5xx refusal of the recipient or the content can
never succeed (dead letter); anything else (server away, busy, 4xx, a bad login, TLS missing)
may pass, so the message waits for a later try.
"""

import asyncio
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib
import structlog

from authmesh_notify.domain.addresses import check_email_address, clean_header_text, email_domain
from authmesh_notify.domain.errors import PermanentDeliveryError, TransientDeliveryError
from authmesh_notify.domain.model import Email
from authmesh_notify.settings import SmtpSecurity

log = structlog.get_logger(__name__)

_PERMANENT_CODES = range(500, 600)


def build_mime(email: Email, sender: Address) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) with only checked header values."""
    local, _, domain = check_email_address(email.to).rpartition("@")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(username=local, domain=domain)
    message["Subject"] = clean_header_text(email.subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


class SmtpEmailSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: SmtpSecurity,
        timeout_s: float,
        sender: Address,
        username: str | None = None,
        password: str | None = None,
        ca_file: Path | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._security = security
        self._timeout_s = timeout_s
        self._sender = sender
        self._username = username
        self._password = password
        self._tls_context = (
            ssl.create_default_context(cafile=str(ca_file)) if ca_file is not None else None
        )

    async def send(self, email: Email) -> None:
        message = build_mime(email, self._sender)
        try:
            # Each SMTP step has its own timeout; this bounds the whole conversation.
            async with asyncio.timeout(self._timeout_s * 2):
                await aiosmtplib.send(
                    message,
                    sender=self._sender.addr_spec,
                    recipients=[email.to],
                    hostname=self._host,
                    port=self._port,
                    username=self._username,
                    password=self._password,
                    use_tls=self._security is SmtpSecurity.TLS,
                    start_tls=self._security is SmtpSecurity.STARTTLS,
                    timeout=self._timeout_s,
                    tls_context=self._tls_context,
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            if all(code in _PERMANENT_CODES for code in codes):
                raise PermanentDeliveryError(
                    f"recipient refused ({codes[0]})", reason="RECIPIENT_REFUSED"
                ) from None
            raise TransientDeliveryError(f"recipient deferred ({codes[0]})") from None
        except aiosmtplib.SMTPDataError as exc:
            if exc.code in _PERMANENT_CODES:
                raise PermanentDeliveryError(
                    f"message refused ({exc.code})", reason="MESSAGE_REFUSED"
                ) from None
            raise TransientDeliveryError(f"message deferred ({exc.code})") from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are the operator's to fix; the messages wait meanwhile.
            raise TransientDeliveryError(
                f"SMTP login refused ({exc.code})", reason="SMTP_LOGIN_FAILED"
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise TransientDeliveryError(f"SMTP answered {exc.code}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Server away, timed out, TLS failed or not offered: none of it is the message's.
            raise TransientDeliveryError(f"SMTP unavailable: {type(exc).__name__}") from None
        log.info("email sent", recipient_domain=email_domain(email.to))
