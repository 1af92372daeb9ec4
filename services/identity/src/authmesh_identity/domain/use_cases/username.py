"""is-username-available (api.md §9.6). Sign-in by username is verify_password.py's, and setting
one is sign_up.py's and update_user.py's, all with the rules of domain/usernames.py."""

from authmesh_identity.domain.ports import UserStore
from authmesh_identity.domain.usernames import invalid_username, normalize_username


async def is_username_available(store: UserStore, *, username: str) -> bool:
    if not username:
        raise invalid_username()  # Better-Auth's answer to an empty name, before its length
    return not await store.username_exists(normalize_username(username))
