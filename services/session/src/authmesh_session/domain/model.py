"""The session domain's objects and its pure rules."""

import hashlib
import secrets
import string
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

_TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 32  # Better-Auth's generateId(32): ~190 bits


def new_token() -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def token_hash(token: str) -> bytes:
    """Sessions are stored and found by this; the token itself is never stored."""
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    ip_address: str
    user_agent: str
    dont_remember: bool
    active_organization_id: str | None = None
    active_team_id: str | None = None
    impersonated_by: str | None = None


@dataclass(frozen=True)
class SessionLifetimes:
    expires_in: timedelta
    update_age: timedelta
    dont_remember_expires_in: timedelta
    # Better-Auth's admin `impersonationSessionDuration`.
    impersonation_expires_in: timedelta = timedelta(hours=1)

    def expiry_for(self, now: datetime, dont_remember: bool) -> datetime:
        return now + (self.dont_remember_expires_in if dont_remember else self.expires_in)

    def refreshed(self, session: Session, now: datetime) -> Session | None:
        """Better-Auth's sliding expiry: once `updateAge` has passed since the last refresh, the
        session is extended by `expiresIn`. Sessions without "remember me" never slide."""
        if session.dont_remember:
            return None
        if session.expires_at - self.expires_in + self.update_age > now:
            return None
        return replace(session, expires_at=now + self.expires_in, updated_at=now)
