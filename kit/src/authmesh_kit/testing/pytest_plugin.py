"""Real Postgres, NATS and Redis for tests, and the whole platform started once per session.

Loaded with `-p authmesh_kit.testing.pytest_plugin`. `backing` is a fresh database (dropped
with its roles afterwards), a nats-server of the session's own and the shared Redis, all under
one namespace. `stack` starts every service the way `make up` does, only when a test asks for
it, with AUTHMESH_MODE=test and an admin seeded as ADMIN_EMAIL / ADMIN_PASSWORD. Its notify
sends email to `smtp_sink`, a real SMTP server in this process that tests read, and stop and
start again on the same port to take mail delivery away for a while.
"""

import email
import email.policy
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.grpc.service_auth import generate_key_pair
from authmesh_kit.settings import Mode
from authmesh_kit.stack.backing import Backing, fresh_backing
from authmesh_kit.stack.plan import StackSpec, free_ports
from authmesh_kit.stack.supervisor import Stack

ADMIN_EMAIL = "admin@authmesh.test"
ADMIN_PASSWORD = "admin-password-for-tests"  # noqa: S105 - a fixture, only in test stacks
TRUSTED_ORIGIN = "http://localhost:3000"
MAIL_FROM = "Authmesh Tests <no-reply@authmesh.test>"


class SmtpSink:
    """An SMTP server (aiosmtpd, in a thread of its own so that it answers while the test loop
    is busy) that keeps every message it accepts, with its envelope recipients."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._received: list[tuple[tuple[str, ...], EmailMessage]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, _: SMTP, __: Session, envelope: Envelope) -> str:  # noqa: N802
        message = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._received.append((tuple(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> None:
        if self._controller is None:
            # A stopped controller's loop is closed: each start needs a new one.
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self, to: str) -> list[EmailMessage]:
        """Messages whose envelope went to `to` (compared case-insensitively), oldest first."""
        with self._lock:
            return [m for rcpts, m in self._received if to.lower() in map(str.lower, rcpts)]


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_ports(1)[0])
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def backing(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Backing]:
    async with fresh_backing(tmp_path_factory.mktemp("backing")) as session_backing:
        yield session_backing


@dataclass(frozen=True)
class PermissionCaller:
    """An internal backend allowed to call org's CheckPermission (AUTHMESH_ORG_PERMISSION_CALLERS)
    with its own key pair, as a company's backend would be configured."""

    name: str
    private_key: str
    public_key: str


@pytest.fixture(scope="session")
def permission_caller() -> PermissionCaller:
    private, public = generate_key_pair()
    return PermissionCaller("example-backend", private, public)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(
    backing: Backing,
    smtp_sink: SmtpSink,
    permission_caller: PermissionCaller,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    spec = StackSpec(
        secret=secrets.token_urlsafe(32),
        encryption_keys=new_key_ring_spec(),
        mode=Mode.TEST,
        trusted_origins=TRUSTED_ORIGIN,
        trusted_proxies="127.0.0.1,::1",
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        operator_env={
            "AUTHMESH_SMTP_HOST": "127.0.0.1",
            "AUTHMESH_SMTP_PORT": str(smtp_sink.port),
            "AUTHMESH_SMTP_SECURITY": "none",
            "AUTHMESH_SMTP_FROM": MAIL_FROM,
            "AUTHMESH_ORG_PERMISSION_CALLERS": (
                f"{permission_caller.name}:{permission_caller.public_key}"
            ),
            # Tests check risk's decisions, not its speed: on a machine busy with other test
            # stacks a 300 ms deadline would let sign-ins fail open now and then.
            "AUTHMESH_RISK_TIMEOUT_MS": "3000",
        },
    )
    async with Stack.create(
        spec, backing, log_dir=tmp_path_factory.mktemp("stack-logs")
    ) as running:
        yield running
