"""A JWT for a live session (Better-Auth's jwt plugin: GET /token and the `set-auth-jwt`
header, api.md §9.11)."""

from datetime import UTC, datetime

from authmesh_session.domain.errors import invalid_claims
from authmesh_session.domain.jwts import jwt_claims, sign_jwt, user_claims
from authmesh_session.domain.key_set import KeySet
from authmesh_session.domain.model import SessionLifetimes
from authmesh_session.domain.ports import SessionStore
from authmesh_session.domain.signing_keys import JwtPolicy
from authmesh_session.domain.use_cases.get_session import get_session


async def issue_token(
    store: SessionStore,
    lifetimes: SessionLifetimes,
    keys: KeySet,
    policy: JwtPolicy,
    *,
    token: str,
    user_json: str,
) -> tuple[str, datetime]:
    """The JWT and its expiry. Its subject is the session's user, so that a JWT is only ever
    signed for a user who holds a live session."""
    session, _ = await get_session(store, lifetimes, token=token, disable_refresh=True)
    user = user_claims(user_json)
    if user is None or user.get("id") != session.user_id:
        raise invalid_claims()
    now = datetime.now(UTC)
    issued_at = int(now.timestamp())
    claims = jwt_claims(user, subject=session.user_id, issued_at=issued_at, policy=policy)
    signed = sign_jwt(claims, await keys.current(now))
    return signed, datetime.fromtimestamp(issued_at, UTC) + policy.expires_in
