"""The SMTP adapter against a real SMTP server (aiosmtpd): plain, STARTTLS with a login, TLS
from the first byte, and the way failures are sorted into "try later" and "never"."""

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from authmesh_kit.stack.plan import free_ports
from authmesh_notify.delivery.smtp import SmtpEmailSender
from authmesh_notify.domain.errors import PermanentDeliveryError, TransientDeliveryError
from authmesh_notify.domain.model import Email
from authmesh_notify.settings import SmtpSecurity

SENDER = Address("Acme", "no-reply", "acme.test")
EMAIL = Email(to="alice@example.com", subject="Hello", text="text body", html="<p>html</p>")
USER, PASSWORD = "mailer", "smtp-password-for-tests"


class Recorder:
    """Keeps accepted mail; refuses `nobody@` for good (550) and `later@` for now (450)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(  # noqa: N802
        self, _: SMTP, __: Session, envelope: Envelope, address: str, ___: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("later@"):
            return "450 4.2.1 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _: SMTP, __: Session, envelope: Envelope) -> str:  # noqa: N802
        self.received.append(
            (envelope.mail_from or "", list(envelope.rcpt_tos), envelope.original_content or b"")
        )
        return "250 OK"


def check_login(_: SMTP, __: Session, ___: Envelope, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def serve(recorder: Recorder, **options: Any) -> Iterator[int]:
    port = free_ports(1)[0]
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def plain_port(recorder: Recorder) -> Iterator[int]:
    yield from serve(recorder)


def sender(port: int, security: SmtpSecurity = SmtpSecurity.NONE, **extra: Any) -> SmtpEmailSender:
    return SmtpEmailSender(
        host="127.0.0.1", port=port, security=security, timeout_s=2.0, sender=SENDER, **extra
    )


async def test_plain_smtp_delivers_to_exactly_the_recipient(
    recorder: Recorder, plain_port: int
) -> None:
    await sender(plain_port).send(EMAIL)
    [(mail_from, rcpt_tos, raw)] = recorder.received
    assert mail_from == "no-reply@acme.test"
    assert rcpt_tos == ["alice@example.com"]
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Hello"
    assert message["To"] == "alice@example.com"


async def test_starttls_with_a_login(
    recorder: Recorder, certificate: tuple[Path, ssl.SSLContext]
) -> None:
    cert_file, context = certificate
    for port in serve(
        recorder,
        tls_context=context,
        require_starttls=True,
        authenticator=check_login,
        auth_required=True,
    ):
        good = sender(
            port, SmtpSecurity.STARTTLS, username=USER, password=PASSWORD, ca_file=cert_file
        )
        await good.send(EMAIL)
        assert len(recorder.received) == 1

        wrong = sender(
            port, SmtpSecurity.STARTTLS, username=USER, password="wrong", ca_file=cert_file
        )
        with pytest.raises(TransientDeliveryError) as failure:
            await wrong.send(EMAIL)
        assert failure.value.reason == "SMTP_LOGIN_FAILED"

        untrusted = sender(port, SmtpSecurity.STARTTLS, username=USER, password=PASSWORD)
        with pytest.raises(TransientDeliveryError):  # the certificate is not trusted
            await untrusted.send(EMAIL)
        assert len(recorder.received) == 1


async def test_starttls_is_required_when_configured(recorder: Recorder, plain_port: int) -> None:
    with pytest.raises(TransientDeliveryError):  # the server does not offer it
        await sender(plain_port, SmtpSecurity.STARTTLS).send(EMAIL)
    assert recorder.received == []


async def test_tls_from_the_first_byte(
    recorder: Recorder, certificate: tuple[Path, ssl.SSLContext]
) -> None:
    cert_file, context = certificate
    for port in serve(recorder, ssl_context=context):
        await sender(port, SmtpSecurity.TLS, ca_file=cert_file).send(EMAIL)
    assert len(recorder.received) == 1


async def test_a_refused_recipient_is_permanent_a_deferred_one_transient(
    recorder: Recorder, plain_port: int
) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        await sender(plain_port).send(Email("nobody@example.com", "s", "t", "h"))
    assert refused.value.reason == "RECIPIENT_REFUSED"
    assert "nobody" not in str(refused.value)
    with pytest.raises(TransientDeliveryError):
        await sender(plain_port).send(Email("later@example.com", "s", "t", "h"))
    assert recorder.received == []


async def test_a_server_that_is_down_is_transient() -> None:
    with pytest.raises(TransientDeliveryError) as failure:
        await sender(free_ports(1)[0]).send(EMAIL)
    assert failure.value.reason == "CHANNEL_UNAVAILABLE"
