"""Settings of the mfa service."""

from pydantic import Field

from authmesh_kit.settings import DatabaseServiceSettings


class MfaSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_MFA_DATABASE_URL")
