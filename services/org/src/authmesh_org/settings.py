"""Settings of the org service."""

from pydantic import Field

from authmesh_kit.settings import DatabaseServiceSettings


class OrgSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_ORG_DATABASE_URL")
