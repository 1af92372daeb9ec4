"""Settings of the risk service."""

from pydantic import Field

from authmesh_kit.settings import DatabaseServiceSettings


class RiskSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_RISK_DATABASE_URL")
