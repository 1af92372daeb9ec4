"""Sign-up with email and password."""

from authmesh_identity.domain import events
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import email_taken
from authmesh_identity.domain.model import NewUser, User
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UserStore
from authmesh_kit.events.envelope import Actor
from authmesh_kit.ids import new_id


async def sign_up_with_email(
    store: UserStore,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    *,
    name: str,
    email: str,
    password: str,
    image: str | None,
    actor: Actor | None,
) -> User:
    normalized = normalize_email(email)
    policy.check(password)
    # A cheap check first spares the hash for the common duplicate; the unique index decides.
    if await store.exists_by_email(normalized):
        raise email_taken()
    password_hash = await hasher.hash(password)
    new_user = NewUser(id=new_id(), name=name, email=normalized, image=image)
    event = events.user_created(new_user.id, normalized, "email", actor)
    return await store.create_with_password(new_user, password_hash, event)
