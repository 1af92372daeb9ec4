"""The one check every sign-in path passes before a session exists (DESIGN §2)."""

from datetime import UTC, datetime

from authmesh_identity.domain.errors import banned_user, user_not_found
from authmesh_identity.domain.model import User
from authmesh_identity.domain.ports import UserStore


async def assert_can_sign_in(store: UserStore, *, user_id: str) -> User:
    user = await store.get(user_id)
    if user is None:
        raise user_not_found()
    if user.is_banned(datetime.now(UTC)):
        raise banned_user()
    return user
