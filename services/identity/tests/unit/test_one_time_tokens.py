"""One-time tokens, the links and the messages that carry them: pure rules of identity."""

import hashlib
import string
from datetime import UTC, datetime, timedelta

import pytest

from authmesh_identity.domain import messages
from authmesh_identity.domain.links import reset_password_url, verify_email_url
from authmesh_identity.domain.one_time_tokens import (
    TokenPurpose,
    is_well_formed,
    new_token,
    token_hash,
)
from authmesh_kit.events.notifications import EMAIL

BASE = "https://auth.example.com"


def test_tokens_are_32_random_alphanumerics() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    alphabet = set(string.ascii_letters + string.digits)
    assert all(len(token) == 32 and set(token) <= alphabet for token in tokens)
    assert all(is_well_formed(token) for token in tokens)


@pytest.mark.parametrize(
    "token",
    ["", "a" * 31, "a" * 33, "a" * 31 + "-", "a" * 31 + "é", " " + "a" * 31, "a" * 32 + "\n"],
)
def test_anything_else_was_never_issued(token: str) -> None:
    assert not is_well_formed(token)


def test_the_stored_hash_binds_the_purpose() -> None:
    token = new_token()
    verification = token_hash(TokenPurpose.EMAIL_VERIFICATION, token)
    reset = token_hash(TokenPurpose.PASSWORD_RESET, token)
    assert verification != reset
    assert reset == hashlib.sha256(f"password-reset:{token}".encode()).digest()


def test_verification_links_default_their_callback_to_the_root() -> None:
    assert (
        verify_email_url(BASE, "T", None) == f"{BASE}/api/auth/verify-email?token=T&callbackURL=%2F"
    )
    assert verify_email_url(BASE, "T", "/a b?x=1&y=é") == (
        f"{BASE}/api/auth/verify-email?token=T&callbackURL=%2Fa%20b%3Fx%3D1%26y%3D%C3%A9"
    )


def test_reset_links_carry_the_redirect_or_nothing() -> None:
    assert reset_password_url(BASE, "T", None) == f"{BASE}/api/auth/reset-password/T?callbackURL="
    assert reset_password_url(BASE, "T", "https://app.example/r?(x)") == (
        f"{BASE}/api/auth/reset-password/T?callbackURL=https%3A%2F%2Fapp.example%2Fr%3F(x)"
    )


def test_messages_have_the_test_outbox_fields_and_expire_with_their_secret() -> None:
    expires_at = datetime(2030, 1, 1, tzinfo=UTC)
    mail = messages.verify_email(
        to="a@example.test", user_id="u1", token="T", url="U", expires_at=expires_at
    )
    assert (mail.type, mail.channel, mail.to, mail.user_id) == (
        "verify-email",
        EMAIL,
        "a@example.test",
        "u1",
    )
    assert dict(mail.fields) == {"token": "T", "url": "U"}
    assert mail.expires_at.ToDatetime(tzinfo=UTC) == expires_at
    reset = messages.reset_password(
        to="a@example.test", user_id="u1", token="T", url="U", expires_at=expires_at
    )
    assert reset.type == "reset-password" and dict(reset.fields) == {"token": "T", "url": "U"}
    now = datetime.now(UTC)
    notice = messages.password_changed(to="a@example.test", user_id="u1", now=now)
    assert notice.type == "password-changed" and not notice.fields
    assert notice.expires_at.ToDatetime(tzinfo=UTC) - now == pytest.approx(
        timedelta(hours=1), abs=timedelta(milliseconds=1)
    )
