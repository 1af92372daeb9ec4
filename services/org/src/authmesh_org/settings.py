"""Settings of the org service."""

import json
from datetime import timedelta
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from authmesh_kit.settings import SERVICE_NAMES, DatabaseServiceSettings
from authmesh_org.domain.access import AccessControl, Statements, access_control
from authmesh_org.domain.model import OrgPolicy


class OrgSettings(DatabaseServiceSettings):
    database_url: str = Field(validation_alias="AUTHMESH_ORG_DATABASE_URL")
    # Invitation mails are sealed for notify with the key ring (kit crypto/key_ring.py).
    encryption_keys: SecretStr
    # The public URL of the gateway, and the accept link mailed with an invitation, built from
    # configuration only: `{base_url}` and `{id}` (the invitation id) are replaced.
    base_url: str = "http://localhost:8000"
    org_invitation_url: str = "{base_url}/accept-invitation/{id}"
    # Better-Auth's defaults: invitations live 48 h, 100 pending per organization, 100 members
    # per organization; organizations per user unlimited (0), creation allowed.
    org_allow_user_to_create_organization: bool = True
    org_organization_limit: int = Field(default=0, ge=0, le=100_000, description="0: unlimited")
    org_membership_limit: int = Field(default=100, ge=1, le=100_000)
    org_invitation_limit: int = Field(default=100, ge=1, le=100_000)
    org_invitation_expires_in_s: int = Field(default=48 * 3600, ge=60, le=365 * 24 * 3600)
    # Teams (on, as in the Better-Auth peer): a default team with each organization.
    org_maximum_teams: int = Field(default=100, ge=1, le=100_000)
    org_maximum_members_per_team: int = Field(default=100, ge=1, le=100_000)
    org_allow_removing_all_teams: bool = False
    # Dynamic access control: custom roles per organization.
    org_maximum_roles_per_organization: int = Field(default=100, ge=1, le=10_000)
    # Statements beyond Better-Auth's defaults that custom roles (and CheckPermission) may use,
    # as JSON: {"project": ["create", "read", "update", "delete"]}. Owners and admins hold them.
    org_extra_statements: str = "{}"
    # Internal backends that may call CheckPermission, each with its own Ed25519 key:
    # "name:base64url-public-key,..." (generate a pair with `python -m authmesh_kit.cli keys`).
    # Their names must not be Authmesh service names.
    org_permission_callers: str = ""
    # CheckPermission's in-process cache: organizations kept (least recently used go first).
    org_permission_cache_organizations: int = Field(default=10_000, ge=0, le=1_000_000)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"AUTHMESH_BASE_URL must be an http(s) URL: {value!r}")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check(self) -> "OrgSettings":
        if "{id}" not in self.org_invitation_url:
            raise ValueError("AUTHMESH_ORG_INVITATION_URL must contain {id}")
        self.access_control()  # refuses malformed extra statements at start-up
        for name in self.permission_caller_keys():
            if name in SERVICE_NAMES:
                raise ValueError(f"AUTHMESH_ORG_PERMISSION_CALLERS: {name!r} is a service name")
        return self

    def access_control(self) -> AccessControl:
        try:
            extra = json.loads(self.org_extra_statements)
        except ValueError as exc:
            raise ValueError("AUTHMESH_ORG_EXTRA_STATEMENTS must be JSON") from exc
        if not isinstance(extra, dict) or not all(
            isinstance(actions, list) and all(isinstance(a, str) for a in actions)
            for actions in extra.values()
        ):
            raise ValueError("AUTHMESH_ORG_EXTRA_STATEMENTS: {resource: [action, ...]}")
        statements: Statements = {str(k): frozenset(v) for k, v in extra.items()}
        return access_control(statements)

    def permission_caller_keys(self) -> dict[str, str]:
        """Backend name -> its public key, from AUTHMESH_ORG_PERMISSION_CALLERS."""
        keys: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in self.org_permission_callers.split(","))):
            name, _, key = item.partition(":")
            if not name or not key:
                raise ValueError("AUTHMESH_ORG_PERMISSION_CALLERS: name:public-key,...")
            keys[name] = key
        return keys

    def invitation_url(self, invitation_id: str) -> str:
        return self.org_invitation_url.replace("{base_url}", self.base_url).replace(
            "{id}", invitation_id
        )

    def policy(self) -> OrgPolicy:
        return OrgPolicy(
            allow_create=self.org_allow_user_to_create_organization,
            organization_limit=self.org_organization_limit,
            membership_limit=self.org_membership_limit,
            invitation_limit=self.org_invitation_limit,
            invitation_lifetime=timedelta(seconds=self.org_invitation_expires_in_s),
            maximum_teams=self.org_maximum_teams,
            maximum_members_per_team=self.org_maximum_members_per_team,
            allow_removing_all_teams=self.org_allow_removing_all_teams,
            maximum_roles=self.org_maximum_roles_per_organization,
        )
