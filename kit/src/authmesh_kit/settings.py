"""Typed settings shared by every process, read from `AUTHMESH_*` variables and checked at start-up.

Each service subclasses one of these and adds its own fields, so that a misconfigured process
refuses to start instead of failing on its first request.
"""

import re
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_NAMES = ("identity", "session", "mfa", "org", "audit", "risk", "notify", "gateway")
DATABASE_SERVICES = ("identity", "session", "mfa", "org", "audit", "risk")
DAY_S = 24 * 3600


class Mode(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def namespace_from_database_url(url: str) -> str:
    """The default namespace: the database name, reduced to what stream names allow."""
    name = urlsplit(url).path.lstrip("/") or "authmesh"
    return re.sub(r"[^a-z0-9_]", "_", name.lower())[:40]


class ServiceSettings(BaseSettings):
    """What every Authmesh process needs, whatever its service."""

    model_config = SettingsConfigDict(env_prefix="AUTHMESH_", extra="ignore", frozen=True)

    mode: Mode = Mode.DEVELOPMENT
    namespace: str = Field(default="", pattern=r"^[a-z0-9_]{0,40}$")
    nats_url: str = "nats://127.0.0.1:4222"
    redis_url: str = "redis://127.0.0.1:6379/0"
    grpc_listen: str = "127.0.0.1:50051"
    metrics_port: int = Field(default=0, ge=0, le=65535, description="0 turns the endpoint off")
    log_level: str = "info"
    # Service-to-service authentication (authmesh_kit.grpc.service_auth): this process's
    # Ed25519 private key, and the public key of every service as "name:base64url,...".
    service_key: SecretStr
    service_public_keys: str
    # The AES-256-GCM key ring ("kid:base64,..."; the first seals): required by services that
    # seal secrets (authmesh_kit.crypto.key_ring), ignored by the others.
    encryption_keys: SecretStr | None = None
    trace_sample_ratio: float = Field(default=0.01, ge=0.0, le=1.0)
    otlp_endpoint: str | None = None

    @model_validator(mode="after")
    def _default_namespace(self) -> "ServiceSettings":
        if not self.namespace:
            source = getattr(self, "database_url", "")
            object.__setattr__(self, "namespace", namespace_from_database_url(source))
        return self


class DatabaseServiceSettings(ServiceSettings):
    """Settings of a service that owns a Postgres schema and connects as its own role.

    Subclasses redeclare `database_url` with their own variable, `AUTHMESH_<SERVICE>_DATABASE_URL`.
    """

    database_url: str
    database_pool_size: int = Field(default=5, ge=1, le=100)
    database_max_overflow: int = Field(default=5, ge=0, le=100)
    # The purge of dead rows (authmesh_kit.db.purge), one replica at a time.
    purge_interval_s: int = Field(default=600, ge=1)
    purge_batch_size: int = Field(default=1000, ge=1, le=100_000)
    # Expired sessions, and one-time secrets used or expired, are kept this long for support
    # and then deleted.
    purge_expired_after_s: int = Field(default=DAY_S, ge=0)
    # A processed-event id must outlive every delivery of its event. AUTH_EVENTS keeps a
    # message 30 days (bootstrap.AUTH_EVENTS_MAX_AGE_S) and a durable consumer made anew
    # replays all of it. The stream drops a republished event only within its 10-minute
    # duplicate window, so a relay that died between publishing and deleting a row and came
    # back later adds a second copy. Hence the floor: the stream's 30 days plus a day for that.
    processed_events_retention_s: int = Field(default=35 * DAY_S, ge=31 * DAY_S)
