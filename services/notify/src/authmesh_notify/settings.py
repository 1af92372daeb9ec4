"""Settings of the notify service: nothing durable, so no database (DESIGN §1)."""

from authmesh_kit.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    """Only what every process needs, so far; channel settings arrive with sending."""
