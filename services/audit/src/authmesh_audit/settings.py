"""Settings of the audit service."""

import re
from datetime import timedelta

from pydantic import Field, SecretStr, field_validator, model_validator

from authmesh_kit.settings import DatabaseServiceSettings

_DURATION = re.compile(r"([0-9]{1,9})([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str) -> timedelta | None:
    """ "90d", "12h", "30m", "3600s" or "3600" (seconds); "", "0" and "off" mean none."""
    text = value.strip().lower()
    if text in ("", "0", "off"):
        return None
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration (like 90d, 12h, 30m or 3600s): {value!r}")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


class AuditSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_AUDIT_DATABASE_URL")
    # Entries recorded longer ago than this are removed (anchors keep the chain verifiable);
    # empty or "off": kept for ever.
    audit_retention: str = ""
    audit_retention_interval_s: int = Field(default=3600, ge=1)
    # SIEM forwarding: every entry is POSTed to each URL, signed with the secret (HMAC-SHA256).
    audit_webhook_urls: str = ""
    audit_webhook_secret: SecretStr | None = None
    audit_webhook_max_attempts: int = Field(default=8, ge=1, le=100)
    audit_webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    audit_webhook_backoff_s: float = Field(default=1.0, gt=0, le=3600)

    @field_validator("audit_retention")
    @classmethod
    def _check_retention(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _check_webhooks(self) -> "AuditSettings":
        urls = self.webhook_urls()
        for url in urls:
            if not url.lower().startswith(("http://", "https://")):
                raise ValueError(f"AUTHMESH_AUDIT_WEBHOOK_URLS: not an http(s) URL: {url!r}")
        secret = self.audit_webhook_secret
        if urls and (secret is None or len(secret.get_secret_value()) < 16):
            raise ValueError(
                "AUTHMESH_AUDIT_WEBHOOK_SECRET (at least 16 characters) is required with "
                "AUTHMESH_AUDIT_WEBHOOK_URLS"
            )
        return self

    def retention(self) -> timedelta | None:
        return parse_duration(self.audit_retention)

    def webhook_urls(self) -> list[str]:
        return list(
            dict.fromkeys(url.strip() for url in self.audit_webhook_urls.split(",") if url.strip())
        )
