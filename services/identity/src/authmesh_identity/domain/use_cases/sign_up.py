"""Sign-up with email and password, mailing the verification link in the same transaction.

When verification is required no session follows a sign-up, and a taken address gets the same
answer as a new one, with a synthetic user that is never stored (Better-Auth's generic duplicate
response): the answer does not tell whether the address has an account.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from authmesh_identity.domain import events
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import email_taken
from authmesh_identity.domain.model import AccountFlowPolicy, NewUser, User
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UnitOfWork, UserStore
from authmesh_identity.domain.use_cases.email_verification import issue_verification
from authmesh_identity.domain.usernames import UsernameChoice, sign_up_username, username_taken
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Actor
from authmesh_kit.ids import new_id


@dataclass(frozen=True)
class SignUpResult:
    user: User
    sign_in_allowed: bool


def _synthetic_user(name: str, email: str, image: str | None, names: UsernameChoice) -> User:
    now = datetime.now(UTC)
    return User(
        id=new_id(),
        name=name,
        email=email,
        email_verified=False,
        image=image,
        created_at=now,
        updated_at=now,
        username=names.username,
        display_username=names.display_username,
    )


async def sign_up_with_email(
    store: UserStore,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    flows: AccountFlowPolicy,
    *,
    name: str,
    email: str,
    password: str,
    image: str | None,
    username: str | None,
    display_username: str | None,
    callback_url: str | None,
    actor: Actor | None,
) -> SignUpResult:
    # Better-Auth settles the username before anything else, a taken one included.
    names = sign_up_username(username, display_username)
    if names.username is not None and await store.username_exists(names.username):
        raise username_taken()
    normalized = normalize_email(email)
    policy.check(password)
    generic = flows.require_email_verification
    # A cheap check first spares the hash for the common duplicate; the unique index decides.
    if await store.exists_by_email(normalized):
        if not generic:
            raise email_taken()
        await hasher.hash(password)  # the time a real sign-up takes
        return SignUpResult(_synthetic_user(name, normalized, image, names), sign_in_allowed=False)
    password_hash = await hasher.hash(password)
    new_user = NewUser(
        id=new_id(),
        name=name,
        email=normalized,
        image=image,
        username=names.username,
        display_username=names.display_username,
    )
    try:
        async with uow.begin() as tx:
            user = await tx.create_user_with_password(new_user, password_hash)
            await tx.add_events(events.user_created(user.id, normalized, "email", actor))
            if flows.send_verification_on_sign_up or flows.require_email_verification:
                await issue_verification(
                    tx, flows, user=user, callback_url=callback_url, reason="sign-up", actor=actor
                )
    except DomainError as error:
        if error.reason == "EMAIL_TAKEN" and generic:
            return SignUpResult(
                _synthetic_user(name, normalized, image, names), sign_in_allowed=False
            )
        raise
    return SignUpResult(user, sign_in_allowed=not generic)
