"""Settings of the identity service."""

from pydantic import Field, SecretStr

from authmesh_kit.settings import DatabaseServiceSettings


class IdentitySettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_IDENTITY_DATABASE_URL")
    # argon2id; OWASP's m=19 MiB, t=2, p=1 is the floor (DESIGN §4).
    argon2_memory_kib: int = Field(default=19_456, ge=19_456)
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1)
    password_min_length: int = Field(default=8, ge=8)
    password_max_length: int = Field(default=128, ge=64, le=4096)
    admin_email: str | None = None
    admin_password: SecretStr | None = None
