"""The test outbox's JSON is the contract's `Message` (only the fields that apply, createdAt as
JavaScript writes it), it exists in test mode only, and settings refuse what cannot work."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import structlog
from pydantic import ValidationError

from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.grpc.service_auth import generate_key_pair
from authmesh_notify.bootstrap import email_sender, outbox_recorder
from authmesh_notify.delivery.console import ConsoleEmail, ConsoleSms
from authmesh_notify.delivery.outbox import iso_millis, outbox_entry, outbox_key
from authmesh_notify.delivery.smtp import SmtpEmailSender
from authmesh_notify.domain.model import Channel, Notification, Sms
from authmesh_notify.settings import NotifySettings

NOW = datetime(2026, 11, 26, 21, 7, 35, 358_123, tzinfo=UTC)
KEY, PUBLIC = generate_key_pair()


def notification(type_: str, to: str, **fields: str) -> Notification:
    channel = Channel.SMS if to.startswith("+") else Channel.EMAIL
    return Notification("m1", type_, channel, to, NOW + timedelta(hours=1), fields)


def test_entries_carry_only_the_fields_of_their_type() -> None:
    verify = notification(
        "verify-email", "Alice@Example.com", token="t", url="http://x/v?token=t", name="Alice"
    )
    assert outbox_entry(verify, NOW) == {
        "to": "alice@example.com",
        "type": "verify-email",
        "token": "t",
        "url": "http://x/v?token=t",
        "createdAt": "2026-11-26T21:07:35.358Z",
    }
    otp = notification("email-otp", "a@b.test", otp="123456", otpType="sign-in", url="u")
    assert set(outbox_entry(otp, NOW)) == {"to", "type", "otp", "otpType", "createdAt"}
    phone = notification("phone-otp", "+15551234567", otp="1234")
    assert outbox_entry(phone, NOW)["to"] == "+15551234567"
    invite = notification(
        "organization-invitation",
        "b@b.test",
        invitationId="i",
        organizationId="o",
        role="member",
        inviterEmail="owner@b.test",
        organizationName="Acme",
    )
    assert set(outbox_entry(invite, NOW)) == {
        *("to", "type", "invitationId", "organizationId", "role", "inviterEmail", "createdAt"),
    }
    changed = notification("password-changed", "a@b.test", name="Alice")
    assert set(outbox_entry(changed, NOW)) == {"to", "type", "createdAt"}


def test_keys_and_times() -> None:
    assert outbox_key("ns1", "Alice@Example.com") == "ns1:test-outbox:alice@example.com"
    assert outbox_key("ns1", "+15551234567") == "ns1:test-outbox:+15551234567"
    assert iso_millis(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-01-02T01:04:05.000Z"
    )


def settings(**values: Any) -> NotifySettings:
    fields: dict[str, Any] = {
        "service_key": KEY,
        "service_public_keys": f"notify:{PUBLIC}",
        "encryption_keys": new_key_ring_spec(),
    }
    return NotifySettings.model_validate({**fields, **values})


async def test_only_test_mode_writes_the_test_outbox() -> None:
    async with outbox_recorder(settings(mode="test")) as recorder:
        assert recorder is not None
    async with outbox_recorder(settings(mode="development")) as recorder:
        assert recorder is None
    production = settings(mode="production", smtp_host="smtp.example.com")
    async with outbox_recorder(production) as recorder:
        assert recorder is None


def test_production_needs_an_smtp_server() -> None:
    with pytest.raises(ValidationError, match="AUTHMESH_SMTP_HOST"):
        settings(mode="production")
    assert isinstance(email_sender(settings(mode="development")), ConsoleEmail)
    assert isinstance(email_sender(settings(smtp_host="127.0.0.1")), SmtpEmailSender)


def test_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(ValidationError, match="AUTHMESH_ENCRYPTION_KEYS"):
        settings(encryption_keys=None)
    with pytest.raises(ValidationError, match="sender"):
        settings(smtp_from="Acme <a@b.test>\r\nBcc: e@x.test")
    with pytest.raises(ValidationError, match="twilio"):
        settings(sms_provider="twilio")
    with pytest.raises(ValidationError, match="ACCOUNT_SID"):
        settings(
            sms_provider="twilio",
            twilio_account_sid="AC/../x",
            twilio_auth_token="t",
            twilio_from="+1555",
        )
    with pytest.raises(ValidationError, match="positive"):
        settings(notify_retry_delays_s=[5, 0])
    assert settings(smtp_timeout_s=30).ack_wait_s == 90


async def test_console_sms_logs_the_last_two_digits_and_the_type_never_the_code() -> None:
    with structlog.testing.capture_logs() as logs:
        await ConsoleSms().send(
            Sms("+15551234567", "482913 is your code"), message_type="phone-otp"
        )
    [entry] = logs
    assert entry["recipient"] == "**67"
    assert entry["type"] == "phone-otp"
    assert "482913" not in repr(entry)
    assert "5551234567" not in repr(entry)
