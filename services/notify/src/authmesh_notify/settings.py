"""Settings of the notify service: nothing durable, so no database (DESIGN §1).

Email goes over SMTP (`AUTHMESH_SMTP_*`), SMS through the provider `AUTHMESH_SMS_PROVIDER` names
(`console` logs, `twilio` sends with `AUTHMESH_TWILIO_*`). Without `AUTHMESH_SMTP_HOST` a
development or test process only logs that an email would have gone out; production refuses to
start without one. Templates shipped with the package can be overridden, file by file, from
`AUTHMESH_TEMPLATES_DIR`.
"""

import re
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from authmesh_kit.crypto.key_ring import KeyRing
from authmesh_kit.settings import Mode, ServiceSettings
from authmesh_notify.domain.addresses import parse_sender

# NATS redelivers a message nobody acknowledged after this long; a delivery attempt (SMTP or
# HTTP with its timeout) must end well within it, or a slow server would get a duplicate.
_ACK_WAIT_FACTOR = 3
_MIN_ACK_WAIT_S = 30.0
_ACCOUNT_SID = re.compile(r"^[A-Za-z0-9]{1,64}$")


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain SMTP: only for a relay on the same host or a development catcher
    STARTTLS = "starttls"  # upgrade a plain connection (port 587); refused if not offered
    TLS = "tls"  # TLS from the first byte (port 465)


class SmsProviderName(StrEnum):
    CONSOLE = "console"
    TWILIO = "twilio"


class NotifySettings(ServiceSettings):
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    smtp_timeout_s: float = Field(default=10.0, gt=0, le=120)
    smtp_ca_file: Path | None = None  # a private CA for the SMTP server's certificate
    smtp_from: str = "Authmesh <no-reply@authmesh.localhost>"  # RFC 6761: never routed

    sms_provider: SmsProviderName = SmsProviderName.CONSOLE
    sms_timeout_s: float = Field(default=10.0, gt=0, le=120)
    twilio_base_url: str = Field(default="https://api.twilio.com", pattern=r"^https?://[^\s]+$")
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None

    templates_dir: Path | None = None
    app_name: str = Field(default="Authmesh", min_length=1, max_length=100)
    # Seconds before each retry of a message that failed for a reason that may pass (SMTP or
    # the provider down); the message is dead-lettered after the last one, or sooner when it
    # expires. JSON in the environment: AUTHMESH_NOTIFY_RETRY_DELAYS_S='[5, 30, 120]'.
    notify_retry_delays_s: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1200.0)
    notify_concurrency: int = Field(default=8, ge=1, le=256)

    @model_validator(mode="after")
    def _check(self) -> "NotifySettings":
        if self.encryption_keys is None:
            raise ValueError("AUTHMESH_ENCRYPTION_KEYS is required: NOTIFY messages are sealed")
        KeyRing.from_spec(self.encryption_keys.get_secret_value())  # raises when malformed
        parse_sender(self.smtp_from)  # raises on anything that could inject a header
        if not self.notify_retry_delays_s or min(self.notify_retry_delays_s) <= 0:
            raise ValueError("AUTHMESH_NOTIFY_RETRY_DELAYS_S must be positive delays")
        if self.mode is Mode.PRODUCTION and not self.smtp_host:
            raise ValueError("AUTHMESH_SMTP_HOST is required in production")
        if self.templates_dir is not None and not self.templates_dir.is_dir():
            raise ValueError(f"AUTHMESH_TEMPLATES_DIR {self.templates_dir} is not a directory")
        if self.sms_provider is SmsProviderName.TWILIO:
            if not (self.twilio_account_sid and self.twilio_auth_token and self.twilio_from):
                raise ValueError(
                    "AUTHMESH_SMS_PROVIDER=twilio needs AUTHMESH_TWILIO_ACCOUNT_SID, "
                    "AUTHMESH_TWILIO_AUTH_TOKEN and AUTHMESH_TWILIO_FROM"
                )
            if not _ACCOUNT_SID.fullmatch(self.twilio_account_sid):
                raise ValueError("AUTHMESH_TWILIO_ACCOUNT_SID must be letters and digits")
        return self

    def key_ring(self) -> KeyRing:
        assert self.encryption_keys is not None  # checked at start-up
        return KeyRing.from_spec(self.encryption_keys.get_secret_value())

    @property
    def ack_wait_s(self) -> float:
        slowest = max(self.smtp_timeout_s, self.sms_timeout_s)
        return max(_MIN_ACK_WAIT_S, _ACK_WAIT_FACTOR * slowest)
