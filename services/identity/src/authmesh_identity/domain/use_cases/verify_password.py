"""Password verification: one uniform answer for an unknown email and a wrong password."""

from authmesh_identity.domain import events
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import invalid_credentials
from authmesh_identity.domain.model import User
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UserStore
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Actor


async def verify_password(
    store: UserStore,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    *,
    email: str,
    password: str,
    actor: Actor | None,
) -> User:
    policy.check_max(password)
    try:
        normalized = normalize_email(email)
    except DomainError:
        normalized = ""  # a malformed email is just one more unknown user
    found = await store.find_with_password(normalized) if normalized else None
    matched = await hasher.verify(found.password_hash if found else None, password)
    if found is None or not matched:
        user_id = found.user.id if found else ""
        await store.record(events.sign_in_failed("INVALID_EMAIL_OR_PASSWORD", user_id, actor))
        raise invalid_credentials()
    if hasher.needs_rehash(found.password_hash):
        new_hash = await hasher.hash(password)
        await store.replace_password_hash(found.user.id, found.password_hash, new_hash)
    return found.user
