"""Better-Auth's emailOTP plugin (api.md §9.4): codes mailed to sign in, to verify the address
and to reset the password.

Codes are the short one-time codes of domain/one_time_codes.py, bound to their type and to the
address. Sending answers the same whether or not the address has a user: a code is mailed only
when one has it, or for sign-in when sign-up is allowed (then any address gets one). A rejected
guess is committed, so that it counts, and the flow fails once its transaction is over; when a
flow fails after its code was accepted, the transaction rolls back and the code stays usable.
"""

from datetime import UTC, datetime

from authmesh_identity.domain import events, messages
from authmesh_identity.domain.code_issuing import issue_code
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import DOMAIN, code_error, user_not_found
from authmesh_identity.domain.model import PasswordlessPolicy, User
from authmesh_identity.domain.one_time_codes import (
    CodeCheck,
    CodeOutcome,
    CodePolicy,
    CodePurpose,
    code_hash,
)
from authmesh_identity.domain.one_time_tokens import TokenPurpose
from authmesh_identity.domain.passwords import PasswordHasher, PasswordPolicy
from authmesh_identity.domain.ports import AccountTransaction, UnitOfWork
from authmesh_identity.domain.use_cases.email_proof import EmailProof, prove_email
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.events.envelope import Actor

SIGN_IN = "sign-in"
EMAIL_VERIFICATION = "email-verification"
FORGET_PASSWORD = "forget-password"  # noqa: S105 - an OTP type, not a password
CHANGE_EMAIL = "change-email"
# Better-Auth's OTP types. Change-email codes go through their own endpoints, which Authmesh
# does not serve (the plugin's changeEmail option is off), so none is ever sent.
PURPOSES = {
    SIGN_IN: CodePurpose.EMAIL_SIGN_IN,
    EMAIL_VERIFICATION: CodePurpose.EMAIL_VERIFICATION,
    FORGET_PASSWORD: CodePurpose.EMAIL_PASSWORD_RESET,
    CHANGE_EMAIL: CodePurpose.EMAIL_CHANGE,
}
_SENDABLE = frozenset({SIGN_IN, EMAIL_VERIFICATION, FORGET_PASSWORD})


def invalid_otp_type() -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_OTP_TYPE", DOMAIN, "Invalid OTP type")


def purpose_of(otp_type: str) -> CodePurpose:
    purpose = PURPOSES.get(otp_type)
    if purpose is None:
        raise invalid_otp_type()
    return purpose


async def _use_code(
    tx: AccountTransaction,
    otp_type: str,
    email: str,
    otp: str,
    policy: CodePolicy,
    *,
    consume: bool,
    actor: Actor | None,
) -> CodeCheck:
    """The guess checked and counted; a failure is recorded, for the caller to raise once its
    transaction has committed."""
    purpose = purpose_of(otp_type)
    hashed = code_hash(purpose, email, otp)
    check = await tx.use_code(purpose.value, email, hashed, policy, consume=consume)
    if check.outcome is not CodeOutcome.VALID:
        user = await tx.user_by_email(email)
        reason = code_error(check.outcome).reason
        await tx.add_events(
            events.email_code_failed(user.id if user else "", otp_type, reason, actor)
        )
    return check


async def send_code(
    uow: UnitOfWork,
    policy: PasswordlessPolicy,
    *,
    email: str,
    otp_type: str,
    actor: Actor | None,
) -> None:
    """/email-otp/send-verification-otp and /email-otp/request-password-reset."""
    if otp_type not in _SENDABLE:
        raise invalid_otp_type()
    address = normalize_email(email)
    async with uow.begin() as tx:
        user = await tx.user_by_email(address)
        if user is None and not (otp_type == SIGN_IN and policy.email_otp_sign_up):
            return
        user_id = user.id if user else ""
        code, expires_at = await issue_code(
            tx, PURPOSES[otp_type], address, policy.email_otp, user.id if user else None
        )
        await tx.add_messages(
            messages.email_otp(
                to=address, user_id=user_id, otp=code, otp_type=otp_type, expires_at=expires_at
            )
        )
        await tx.add_events(events.email_code_requested(user_id, otp_type, expires_at, actor))


async def sign_in(
    uow: UnitOfWork,
    policy: PasswordlessPolicy,
    *,
    email: str,
    otp: str,
    name: str | None,
    image: str | None,
    actor: Actor | None,
) -> EmailProof:
    """Consumes a sign-in code: the address's user, created when unknown and sign-up is on.
    Better-Auth checks no address format here: a malformed one simply has no code."""
    try:
        address = normalize_email(email)
    except DomainError:
        raise code_error(CodeOutcome.NOT_FOUND) from None
    proof: EmailProof | None = None
    async with uow.begin() as tx:
        check = await _use_code(
            tx, SIGN_IN, address, otp, policy.email_otp, consume=True, actor=actor
        )
        if check.outcome is CodeOutcome.VALID:
            proof = await prove_email(
                tx,
                email=address,
                name=name,
                image=image,
                method="email-otp",
                sign_up=policy.email_otp_sign_up,
                actor=actor,
            )
            if proof is None:  # sign-up is off: Better-Auth calls the code invalid
                raise code_error(CodeOutcome.INVALID)
    if proof is None:
        raise code_error(check.outcome)
    return proof


async def verify_email(
    uow: UnitOfWork, policy: PasswordlessPolicy, *, email: str, otp: str, actor: Actor | None
) -> User:
    """Consumes an email-verification code and marks the address verified."""
    address = normalize_email(email)
    verified: User | None = None
    async with uow.begin() as tx:
        check = await _use_code(
            tx, EMAIL_VERIFICATION, address, otp, policy.email_otp, consume=True, actor=actor
        )
        if check.outcome is CodeOutcome.VALID:
            user = await tx.user_by_email(address)
            if user is None:
                raise user_not_found()
            verified = user
            if not user.email_verified:
                verified = await tx.set_email_verified(user.id)
                # The verification links still out are moot now.
                await tx.invalidate_tokens(user.id, TokenPurpose.EMAIL_VERIFICATION.value)
                await tx.add_events(events.email_verified(user.id, actor))
    if check.outcome is not CodeOutcome.VALID:
        raise code_error(check.outcome)
    if verified is None:
        raise user_not_found()
    return verified


async def check_code(
    uow: UnitOfWork,
    policy: PasswordlessPolicy,
    *,
    email: str,
    otp_type: str,
    otp: str,
    actor: Actor | None,
) -> None:
    """Whether the code is right, without consuming it; a wrong guess still counts."""
    purpose_of(otp_type)
    address = normalize_email(email)
    async with uow.begin() as tx:
        check = await _use_code(
            tx, otp_type, address, otp, policy.email_otp, consume=False, actor=actor
        )
        user = await tx.user_by_email(address)
    if check.outcome is not CodeOutcome.VALID:
        raise code_error(check.outcome)
    if user is None:  # safe to say: the caller holds a code sent to the address
        raise user_not_found()


async def reset_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    password_policy: PasswordPolicy,
    policy: PasswordlessPolicy,
    *,
    email: str,
    otp: str,
    new_password: str,
    actor: Actor | None,
) -> str:
    """Consumes a forget-password code and sets the password as every reset does (the same
    policy; the user's reset links invalidated; password.changed revoking its sessions); the
    user's id. Better-Auth's order: the address, the password's length, then the code."""
    address = normalize_email(email)
    password_policy.check(new_password)
    # A look without consuming first, so that a wrong code costs no password hashing.
    async with uow.begin() as tx:
        check = await _use_code(
            tx, FORGET_PASSWORD, address, otp, policy.email_otp, consume=False, actor=actor
        )
        user = await tx.user_by_email(address)
    if check.outcome is not CodeOutcome.VALID:
        raise code_error(check.outcome)
    if user is None:
        raise user_not_found()
    new_hash = await hasher.hash(new_password)
    async with uow.begin() as tx:
        check = await _use_code(
            tx, FORGET_PASSWORD, address, otp, policy.email_otp, consume=True, actor=actor
        )
        if check.outcome is CodeOutcome.VALID:
            await _set_password(tx, user, new_hash, actor)
    if check.outcome is not CodeOutcome.VALID:
        raise code_error(check.outcome)  # a concurrent use won, or it expired meanwhile
    return user.id


async def _set_password(
    tx: AccountTransaction, user: User, new_hash: str, actor: Actor | None
) -> None:
    current = await tx.get_user(user.id)
    if current is None or current.email != user.email:
        raise user_not_found()  # deleted, or moved to another address, since the first look
    await tx.set_password_hash(user.id, new_hash)
    await tx.invalidate_password_resets(current)
    if not current.email_verified:  # the code proved the address, as Better-Auth takes it
        await tx.set_email_verified(user.id)
    await tx.add_events(
        events.password_reset_completed(user.id, actor),
        events.password_changed(user.id, "reset", True, actor),
    )
    await tx.add_messages(
        messages.password_changed(to=user.email, user_id=user.id, now=datetime.now(UTC))
    )
