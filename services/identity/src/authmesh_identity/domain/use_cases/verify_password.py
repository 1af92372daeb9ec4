"""Password verification: one uniform answer for an unknown email and a wrong password.

When the operator requires verified addresses, a correct password for an unverified one is
EMAIL_NOT_VERIFIED, and a fresh verification link is mailed (Better-Auth's sendOnSignIn).
"""

from authmesh_identity.domain import events
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import email_not_verified, invalid_credentials
from authmesh_identity.domain.model import AccountFlowPolicy, User
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import UnitOfWork, UserStore
from authmesh_identity.domain.use_cases.email_verification import issue_verification
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Actor


async def verify_password(
    store: UserStore,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    flows: AccountFlowPolicy,
    *,
    email: str,
    password: str,
    callback_url: str | None,
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
    user = found.user
    if flows.require_email_verification and not user.email_verified:
        async with uow.begin() as tx:
            await tx.add_events(events.sign_in_failed("EMAIL_NOT_VERIFIED", user.id, actor))
            if flows.send_verification_on_sign_in:
                await issue_verification(
                    tx, flows, user=user, callback_url=callback_url, reason="sign-in", actor=actor
                )
        raise email_not_verified()
    return user
