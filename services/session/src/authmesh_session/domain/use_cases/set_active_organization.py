"""Setting a session's active organization and team (the organization plugin's
`activeOrganizationId` / `activeTeamId`).

The gateway decides what to set once the org service has checked the membership; this service
only stores it and tells every gateway, through auth.session.session.updated, that its cached
answer for the session is stale.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from authmesh_kit.events.envelope import Actor
from authmesh_session.domain import events
from authmesh_session.domain.errors import invalid_active_id, session_not_found
from authmesh_session.domain.model import Session, token_hash
from authmesh_session.domain.ports import SessionStore

MAX_ACTIVE_ID_LENGTH = 255


@dataclass(frozen=True)
class ActiveChoice:
    """A new value for one of the two columns; `id` None clears it."""

    id: str | None


async def set_active_organization(
    store: SessionStore,
    *,
    token: str,
    organization: ActiveChoice | None,
    team: ActiveChoice | None,
    actor: Actor | None,
) -> Session:
    """The session as it now is (a choice of None leaves its column); SESSION_NOT_FOUND when
    the session is unknown or expired."""
    changes: dict[str, str | None] = {}
    for column, choice in (("active_organization_id", organization), ("active_team_id", team)):
        if choice is None:
            continue
        if choice.id is not None and len(choice.id) > MAX_ACTIVE_ID_LENGTH:
            raise invalid_active_id()
        changes[column] = choice.id
    hashed = token_hash(token)
    session = await store.set_active(
        hashed,
        datetime.now(UTC),
        changes,
        lambda changed: [events.session_updated(changed, hashed, actor)],
    )
    if session is None:
        raise session_not_found()
    return session
