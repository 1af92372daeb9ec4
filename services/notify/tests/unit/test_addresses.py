"""Header injection through names or addresses is impossible: recipients must be one plain
address, header text loses its control characters, the sender is checked at start-up, and the
MIME message built from them has exactly the headers and recipient intended."""

from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest

from authmesh_notify.delivery.smtp import build_mime
from authmesh_notify.domain.addresses import (
    check_email_address,
    check_phone_number,
    clean_header_text,
    email_domain,
    parse_sender,
    phone_hint,
)
from authmesh_notify.domain.errors import InvalidRecipientError
from authmesh_notify.domain.model import Email

SENDER = Address("Acme", "no-reply", "acme.test")


@pytest.mark.parametrize(
    "address",
    [
        "alice@example.com",
        "Alice.O'Hara+tag@mail.example.co.uk",
        "x@a-b.io",
    ],
)
def test_plain_addresses_pass(address: str) -> None:
    assert check_email_address(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "alice@example.com\r\nBcc: evil@attacker.test",
        "alice@example.com\nBcc: evil@attacker.test",
        "alice@example.com, evil@attacker.test",
        "Alice <alice@example.com>",
        "alice@example.com>",
        "<alice@example.com",
        "alice@@example.com",
        "al ice@example.com",
        '"alice"@example.com',
        "alice@example",
        "alice@-example.com",
        "alice@example.com\x00",
        ".alice@example.com",
        "alice@",
        "@example.com",
        "a" * 65 + "@example.com",
        "alice@" + "a" * 250 + ".com",
        "alice@exämple.com",
        "",
    ],
)
def test_anything_else_is_refused(address: str) -> None:
    with pytest.raises(InvalidRecipientError):
        check_email_address(address)


def test_header_text_loses_control_characters() -> None:
    assert clean_header_text("Hi\r\nBcc: evil@attacker.test") == "Hi Bcc: evil@attacker.test"
    assert clean_header_text("a\x00b\u2028c\x85d\te") == "a b c d e"
    assert clean_header_text("x" * 500) == "x" * 200


def test_a_subject_with_crlf_stays_one_header_and_adds_no_recipient() -> None:
    email = Email(
        to="alice@example.com",
        subject="Invitation from Mallory\r\nBcc: evil@attacker.test\r\n\r\nbody",
        text="text",
        html="<p>html</p>",
    )
    raw = build_mime(email, SENDER).as_bytes(policy=policy.SMTP)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed["To"] == "alice@example.com"
    assert parsed["Subject"] == "Invitation from Mallory Bcc: evil@attacker.test body"
    assert parsed["From"] == "Acme <no-reply@acme.test>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"].endswith("@acme.test>")
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc" not in header_block
    assert [part.get_content_type() for part in parsed.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


def test_build_mime_refuses_an_injected_recipient() -> None:
    email = Email(to="alice@example.com\r\nBcc: e@x.test", subject="s", text="t", html="h")
    with pytest.raises(InvalidRecipientError):
        build_mime(email, SENDER)


def test_the_sender_is_checked() -> None:
    assert parse_sender("Acme <no-reply@acme.test>") == SENDER
    assert parse_sender('"Acme Inc" <no-reply@acme.test>').display_name == "Acme Inc"
    assert parse_sender("no-reply@acme.test").addr_spec == "no-reply@acme.test"
    for bad in (
        "Acme <no-reply@acme.test>\r\nBcc: e@x.test",
        "Acme\n <no-reply@acme.test>",
        "Acme <no-reply@acme.test>, other@x.test",
        "Acme <not an address>",
        "",
    ):
        with pytest.raises(ValueError, match="sender"):
            parse_sender(bad)


def test_phone_numbers() -> None:
    assert check_phone_number("+15551234567") == "+15551234567"
    assert check_phone_number("+1 (555) 123-4567") == "+1 (555) 123-4567"
    for bad in ("+1555\r\n123", "12345", "+1234567890123456", "phone", "+1555;1234567"):
        with pytest.raises(InvalidRecipientError):
            check_phone_number(bad)


def test_logs_only_see_the_domain_or_the_last_two_digits() -> None:
    assert email_domain("Alice@Example.COM") == "example.com"
    assert phone_hint("+1 555 123-4567") == "**67"
