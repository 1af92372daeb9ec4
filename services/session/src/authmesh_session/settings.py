"""Settings of the session service (Better-Auth's session options, seed defaults)."""

from pydantic import Field

from authmesh_kit.settings import DatabaseServiceSettings

DAY_S = 24 * 3600


class SessionSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_SESSION_DATABASE_URL")
    session_expires_in_s: int = Field(default=30 * DAY_S, ge=60)
    session_update_age_s: int = Field(default=DAY_S, ge=0)
    dont_remember_expires_in_s: int = Field(default=DAY_S, ge=60)
