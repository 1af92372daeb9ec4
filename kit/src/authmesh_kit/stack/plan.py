"""What every process of a local stack gets, decided once before anything starts.

From the operator's choices (`StackSpec`) and the backing services, a `Plan` fixes ports,
Ed25519 service keys and database role passwords, and writes each process's environment: the
contract every service's `serve` reads. A process receives the parent environment without any
`AUTHMESH_` variable, so the privileged database URL and the admin NATS credentials stay here.
"""

import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from authmesh_kit.bootstrap import role_name
from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.grpc.service_auth import generate_key_pair
from authmesh_kit.settings import DATABASE_SERVICES, SERVICE_NAMES, Mode

HOST = "127.0.0.1"
GATEWAY = "gateway"
# Services other processes call; each process learns their addresses as AUTHMESH_<SVC>_ADDR.
GRPC_SERVICES = DATABASE_SERVICES
# Processes that listen for gRPC: the callable services, and notify for its health check.
LISTENING = tuple(name for name in SERVICE_NAMES if name != GATEWAY)
# The development SMTP catcher (authmesh_notify.catcher), when no SMTP server is configured.
MAIL_CATCHER = "mail-catcher"


def free_ports(count: int) -> list[int]:
    """Ports free right now, all distinct: each socket stays bound until all are chosen."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _load_or_create(path: Path, make: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(make())
    return path.read_text().strip()


def load_or_create_secret(data_dir: Path) -> str:
    """The development cookie secret, kept in the data directory so sessions survive restarts."""
    return _load_or_create(data_dir / "secret", lambda: secrets.token_urlsafe(32))


def load_or_create_encryption_keys(data_dir: Path) -> str:
    """The development key ring, kept so that sealed messages and secrets survive restarts."""
    return _load_or_create(data_dir / "encryption_keys", new_key_ring_spec)


def with_credentials(url: str, user: str, password: str) -> str:
    """`url` with its user and password replaced; host, port, database and query kept."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class StackSpec:
    """The operator's choices; everything else a stack needs is derived from these."""

    secret: str
    encryption_keys: str
    rotated_secrets: str = ""  # AUTHMESH_SECRETS ("v2:new,v1:old"): wins over `secret`
    mode: Mode = Mode.DEVELOPMENT
    gateway_port: int | None = None  # None: any free port
    base_url: str | None = None  # None: http://localhost:<gateway port>
    trusted_origins: str = ""
    trusted_proxies: str = ""
    admin_email: str = ""
    admin_password: str = ""
    log_level: str = "info"
    # Operator settings (AUTHMESH_PASSWORD_POLICY, AUTHMESH_SMTP_*...), passed to every service
    # as they are; the stack's own variables below override them.
    operator_env: Mapping[str, str] = field(default_factory=dict)
    # A port: run the mail catcher with its page there, and point notify's SMTP at it.
    mail_catcher_port: int | None = None
    # Identity: sign-in with an unverified address answers EMAIL_NOT_VERIFIED (and mails a link).
    require_email_verification: bool = False


@dataclass(frozen=True)
class Plan:
    spec: StackSpec
    namespace: str
    database_url: str  # privileged; only bootstrap uses it
    redis_url: str
    nats_urls: Mapping[str, str]  # process name → its NATS URL with its own user
    grpc_ports: Mapping[str, int]
    metrics_ports: Mapping[str, int]
    gateway_port: int
    key_pairs: Mapping[str, tuple[str, str]]  # process name → (private, public)
    database_passwords: Mapping[str, str]
    parent_env: Mapping[str, str]
    mail_catcher_smtp_port: int | None = None

    @classmethod
    def create(
        cls,
        spec: StackSpec,
        *,
        namespace: str,
        database_url: str,
        redis_url: str,
        nats_urls: Mapping[str, str],
        parent_env: Mapping[str, str],
    ) -> "Plan":
        ports = iter(free_ports(len(LISTENING) + len(SERVICE_NAMES) + 2))
        return cls(
            spec=spec,
            namespace=namespace,
            database_url=database_url,
            redis_url=redis_url,
            nats_urls=dict(nats_urls),
            grpc_ports={name: next(ports) for name in LISTENING},
            metrics_ports={name: next(ports) for name in SERVICE_NAMES},
            gateway_port=spec.gateway_port or next(ports),
            key_pairs={name: generate_key_pair() for name in SERVICE_NAMES},
            database_passwords={name: secrets.token_urlsafe(24) for name in DATABASE_SERVICES},
            parent_env=dict(parent_env),
            mail_catcher_smtp_port=next(ports) if spec.mail_catcher_port is not None else None,
        )

    @property
    def base_url(self) -> str:
        return self.spec.base_url or f"http://localhost:{self.gateway_port}"

    def addr(self, service: str) -> str:
        return f"{HOST}:{self.grpc_ports[service]}"

    def service_database_url(self, service: str) -> str:
        role = role_name(self.namespace, service)
        return with_credentials(self.database_url, role, self.database_passwords[service])

    def base_env(self) -> dict[str, str]:
        """The parent's environment without any AUTHMESH_ variable."""
        env = {
            key: value for key, value in self.parent_env.items() if not key.startswith("AUTHMESH_")
        }
        env["PYTHONUNBUFFERED"] = "1"  # log lines reach the terminal or log file as they happen
        return env

    def mail_catcher_argv(self) -> list[str] | None:
        """The catcher's command line (after the interpreter), or None when there is none."""
        if self.mail_catcher_smtp_port is None or self.spec.mail_catcher_port is None:
            return None
        return [
            "-m",
            "authmesh_notify.catcher",
            f"--smtp-port={self.mail_catcher_smtp_port}",
            f"--http-port={self.spec.mail_catcher_port}",
        ]

    def env(self, name: str) -> dict[str, str]:
        """The environment of process `name` (PROCESS CONTRACT in the stack's docs)."""
        spec = self.spec
        env = self.base_env() | dict(spec.operator_env)
        env |= {
            "AUTHMESH_MODE": spec.mode.value,
            "AUTHMESH_NAMESPACE": self.namespace,
            "AUTHMESH_NATS_URL": self.nats_urls[name],
            "AUTHMESH_REDIS_URL": self.redis_url,
            "AUTHMESH_METRICS_PORT": str(self.metrics_ports[name]),
            "AUTHMESH_LOG_LEVEL": spec.log_level,
            "AUTHMESH_SERVICE_KEY": self.key_pairs[name][0],
            "AUTHMESH_ENCRYPTION_KEYS": spec.encryption_keys,
            "AUTHMESH_SERVICE_PUBLIC_KEYS": ",".join(
                f"{service}:{pair[1]}" for service, pair in self.key_pairs.items()
            ),
        }
        env |= {f"AUTHMESH_{service.upper()}_ADDR": self.addr(service) for service in GRPC_SERVICES}
        if name in self.grpc_ports:
            env["AUTHMESH_GRPC_LISTEN"] = self.addr(name)
        if name in DATABASE_SERVICES:
            env[f"AUTHMESH_{name.upper()}_DATABASE_URL"] = self.service_database_url(name)
        if name == GATEWAY:
            env |= {
                "AUTHMESH_SECRET": spec.secret,
                "AUTHMESH_GATEWAY_PORT": str(self.gateway_port),
                "AUTHMESH_BASE_URL": self.base_url,
                "AUTHMESH_TRUSTED_ORIGINS": spec.trusted_origins,
                "AUTHMESH_TRUSTED_PROXIES": spec.trusted_proxies,
            }
        if name == GATEWAY and spec.rotated_secrets:
            env["AUTHMESH_SECRETS"] = spec.rotated_secrets
        if name == "notify" and self.mail_catcher_smtp_port is not None:
            env |= {
                "AUTHMESH_SMTP_HOST": HOST,
                "AUTHMESH_SMTP_PORT": str(self.mail_catcher_smtp_port),
                "AUTHMESH_SMTP_SECURITY": "none",  # loopback, and the catcher has no TLS
            }
        if name == "session":
            # The JWTs session signs name the public URL's origin as their issuer and audience.
            env["AUTHMESH_BASE_URL"] = self.base_url
        if name == "identity":
            # Identity builds the links it mails from the public URL, never from a request.
            env["AUTHMESH_BASE_URL"] = self.base_url
            if spec.require_email_verification:
                env["AUTHMESH_REQUIRE_EMAIL_VERIFICATION"] = "true"
        if name == "org":
            # Invitation mails link to the public URL (AUTHMESH_ORG_INVITATION_URL).
            env["AUTHMESH_BASE_URL"] = self.base_url
        if name == "mfa":
            # The passkeys' relying party: the public URL's host and the trusted origins.
            env["AUTHMESH_BASE_URL"] = self.base_url
            env["AUTHMESH_TRUSTED_ORIGINS"] = spec.trusted_origins
        if name == "identity" and spec.admin_email:
            env |= {
                "AUTHMESH_ADMIN_EMAIL": spec.admin_email,
                "AUTHMESH_ADMIN_PASSWORD": spec.admin_password,
            }
        return env
