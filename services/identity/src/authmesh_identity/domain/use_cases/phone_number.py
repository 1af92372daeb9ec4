"""Phone numbers (api.md §9.7): texted codes that verify a number, and password reset by a
texted code. Sign-in by phone number and password is verify_password.py's.

Codes are the short one-time codes of domain/one_time_codes.py, bound to their purpose and to
the number as typed. A verification code is texted whether or not a user has the number (its
sign-up may be what follows); a reset code only when one does, with the same answer either way,
as for email (password_reset.py). When verifying fails after the code was accepted (no session
to attach the number to, the number taken meanwhile), the transaction rolls back and the code
stays usable; a rejected guess is always committed, so that it counts.
"""

from datetime import UTC, datetime

from authmesh_identity.domain import events, messages
from authmesh_identity.domain.code_issuing import issue_code
from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.model import AccountFlowPolicy, NewUser, User
from authmesh_identity.domain.one_time_codes import (
    CodeCheck,
    CodeOutcome,
    CodePolicy,
    CodePurpose,
    code_hash,
)
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.phone_numbers import (
    check_phone_number,
    code_error,
    is_phone_number,
    is_placeholder_email,
    phone_number_exists,
    placeholder_email,
    unexpected_error,
)
from authmesh_identity.domain.ports import AccountTransaction, UnitOfWork
from authmesh_kit.events.envelope import Actor
from authmesh_kit.ids import new_id

CODE_POLICY = CodePolicy()  # Better-Auth's defaults: 6 digits, 5 minutes, 3 guesses a code
VERIFICATION = CodePurpose.PHONE_VERIFICATION
RESET = CodePurpose.PHONE_PASSWORD_RESET


async def _use_code(
    tx: AccountTransaction,
    purpose: CodePurpose,
    phone_number: str,
    code: str,
    *,
    consume: bool,
    actor: Actor | None,
) -> CodeCheck:
    """The guess checked and counted; a failure is recorded, for the caller to raise once its
    transaction has committed."""
    hashed = code_hash(purpose, phone_number, code)
    check = await tx.use_code(purpose.value, phone_number, hashed, CODE_POLICY, consume=consume)
    if check.outcome is not CodeOutcome.VALID:
        reason = code_error(check.outcome).reason
        await tx.add_events(events.phone_code_failed(purpose.value, reason, actor))
    return check


async def send_verification_code(
    uow: UnitOfWork, *, phone_number: str, actor: Actor | None
) -> None:
    check_phone_number(phone_number)
    async with uow.begin() as tx:
        user = await tx.user_by_phone_number(phone_number)
        user_id = user.id if user else ""
        code, expires_at = await issue_code(
            tx, VERIFICATION, phone_number, CODE_POLICY, user.id if user else None
        )
        await tx.add_messages(
            messages.phone_code(
                messages.PHONE_OTP,
                to=phone_number,
                user_id=user_id,
                code=code,
                expires_at=expires_at,
            )
        )
        await tx.add_events(
            events.phone_code_requested(user_id, VERIFICATION.value, expires_at, actor)
        )


async def _give_number(
    tx: AccountTransaction,
    flows: AccountFlowPolicy,
    *,
    phone_number: str,
    update_phone_number: bool,
    session_user_id: str,
    actor: Actor | None,
) -> User:
    """What a verified number changes: the session user's number, the verified flag of the user
    who has it, or a new user."""
    if update_phone_number:
        if not session_user_id:
            raise user_not_found()
        # Better-Auth refuses a number any user has, the caller's own included.
        if await tx.user_by_phone_number(phone_number) is not None:
            raise phone_number_exists()
        user = await tx.set_phone_number_verified(session_user_id, phone_number)
        if user is None:
            raise user_not_found()
        await tx.add_events(events.phone_number_verified(user.id, "update", actor))
        return user
    owner = await tx.user_by_phone_number(phone_number)
    if owner is not None:
        user = await tx.set_phone_number_verified(owner.id, phone_number)
        if user is None:
            raise user_not_found()  # deleted meanwhile
        await tx.add_events(events.phone_number_verified(user.id, "verify", actor))
        return user
    if not flows.phone_sign_up_on_verification:
        raise user_not_found()
    user = await tx.create_user(
        NewUser(
            id=new_id(),
            name=phone_number,
            email=placeholder_email(phone_number, flows.phone_sign_up_email_domain),
            image=None,
            phone_number=phone_number,
            phone_number_verified=True,
        )
    )
    await tx.add_events(
        events.user_created(user.id, user.email, "phone", actor),
        events.phone_number_verified(user.id, "sign-up", actor),
    )
    return user


async def verify_phone_number(
    uow: UnitOfWork,
    flows: AccountFlowPolicy,
    *,
    phone_number: str,
    code: str,
    update_phone_number: bool,
    session_user_id: str,
    actor: Actor | None,
) -> User:
    """Consumes the verification code and returns the user the number now belongs to."""
    if not is_phone_number(phone_number):
        raise code_error(CodeOutcome.NOT_FOUND)  # no code was ever sent there
    user: User | None = None
    async with uow.begin() as tx:
        check = await _use_code(tx, VERIFICATION, phone_number, code, consume=True, actor=actor)
        if check.outcome is CodeOutcome.VALID:
            user = await _give_number(
                tx,
                flows,
                phone_number=phone_number,
                update_phone_number=update_phone_number,
                session_user_id=session_user_id,
                actor=actor,
            )
    if user is None:
        raise code_error(check.outcome)
    return user


async def request_password_reset(
    uow: UnitOfWork, *, phone_number: str, actor: Actor | None
) -> None:
    """Texts a reset code when a user has the number; says nothing either way."""
    if not is_phone_number(phone_number):
        return
    async with uow.begin() as tx:
        user = await tx.user_by_phone_number(phone_number)
        if user is None:
            return
        code, expires_at = await issue_code(tx, RESET, phone_number, CODE_POLICY, user.id)
        await tx.add_messages(
            messages.phone_code(
                messages.PHONE_RESET_OTP,
                to=phone_number,
                user_id=user.id,
                code=code,
                expires_at=expires_at,
            )
        )
        await tx.add_events(events.phone_code_requested(user.id, RESET.value, expires_at, actor))


async def _check_reset_code(
    uow: UnitOfWork, phone_number: str, code: str, actor: Actor | None
) -> None:
    async with uow.begin() as tx:
        check = await _use_code(tx, RESET, phone_number, code, consume=False, actor=actor)
    if check.outcome is not CodeOutcome.VALID:
        raise code_error(check.outcome)


async def reset_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    password_policy: PasswordPolicy,
    flows: AccountFlowPolicy,
    *,
    phone_number: str,
    code: str,
    new_password: str,
    actor: Actor | None,
) -> str:
    """Consumes the reset code and sets the password; the user's id. Better-Auth's order: the
    password's length, then the code. The user's email reset links die with it."""
    password_policy.check(new_password)
    if not is_phone_number(phone_number):
        raise code_error(CodeOutcome.NOT_FOUND)
    # A look first, so that wrong codes cost no password hashing.
    await _check_reset_code(uow, phone_number, code, actor)
    new_hash = await hasher.hash(new_password)
    user: User | None = None
    async with uow.begin() as tx:
        check = await _use_code(tx, RESET, phone_number, code, consume=True, actor=actor)
        if check.outcome is CodeOutcome.VALID:
            user = await tx.user_by_phone_number(phone_number)
            if user is None:
                raise unexpected_error()  # the number left its user since the code was sent
            await tx.set_password_hash(user.id, new_hash)
            await tx.invalidate_password_resets(user)
            await tx.add_events(
                events.password_reset_completed(user.id, actor),
                events.password_changed(user.id, "reset", True, actor),
            )
            if not is_placeholder_email(user.email, flows.phone_sign_up_email_domain):
                await tx.add_messages(
                    messages.password_changed(to=user.email, user_id=user.id, now=datetime.now(UTC))
                )
    if user is None:
        raise code_error(check.outcome)  # a concurrent reset used the code first
    return user.id
