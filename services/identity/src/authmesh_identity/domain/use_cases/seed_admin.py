"""The operator's first admin, created at start-up when configured; never overwritten. Its
password must pass the password policy like any other: a blocklisted one stops the start."""

import structlog

from authmesh_identity.domain import events
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.model import NewUser
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UserStore
from authmesh_kit.errors import DomainError
from authmesh_kit.ids import new_id

log = structlog.get_logger(__name__)


async def seed_admin(
    store: UserStore, hasher: PasswordHasher, policy: PasswordPolicy, *, email: str, password: str
) -> None:
    normalized = normalize_email(email)
    if await store.exists_by_email(normalized):
        return
    policy.check(password)
    new_user = NewUser(
        id=new_id(),
        name="Admin",
        email=normalized,
        image=None,
        role="admin",
        email_verified=True,
    )
    event = events.user_created(new_user.id, normalized, "admin", None)
    try:
        user = await store.create_with_password(new_user, await hasher.hash(password), event)
    except DomainError as exc:
        if exc.reason == "EMAIL_TAKEN":
            return  # another replica seeded it first
        raise
    log.info("admin seeded", user_id=user.id)
