"""Settings of the audit service."""

from pydantic import Field

from authmesh_kit.settings import DatabaseServiceSettings


class AuditSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_AUDIT_DATABASE_URL")
