"""Signing in with a passkey (Better-Auth's generate-authenticate-options and
verify-authentication; WebAuthn §7.2).

Without a session the options list no credential, so the authenticator offers the
discoverable ones it holds for the relying party: the user signs in without typing a name. A
rejected assertion is recorded (auth.mfa.passkey.rejected) in a transaction that commits before
the flow fails; a signature counter that did not move forward is also reported as a possible
clone (auth.mfa.passkey.clone_suspected) and the assertion refused.
"""

from dataclasses import dataclass

import structlog

from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Actor
from authmesh_mfa.domain.passkey_ceremonies import (
    CeremonyError,
    counter_moved_forward,
    credential_id_of,
    verify_assertion,
)
from authmesh_mfa.domain.passkeys import (
    Ceremony,
    Passkey,
    PasskeyTransaction,
    PasskeyUnitOfWork,
    RelyingParty,
    authentication_failed,
    passkey_clone_suspected,
    passkey_not_found,
    passkey_rejected,
    passkey_verified,
)
from authmesh_mfa.domain.use_cases.passkey_challenges import (
    TakenChallenge,
    put_challenge,
    take_challenge,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AuthenticationStart:
    challenge_id: str  # for the signed cookie only
    challenge: bytes
    allowed: list[Passkey]  # the session user's passkeys; empty without a session


@dataclass(frozen=True)
class PasskeySignIn:
    passkey: Passkey
    user_verified: bool


async def start_authentication(
    uow: PasskeyUnitOfWork, rp: RelyingParty, *, user_id: str | None
) -> AuthenticationStart:
    challenge_id, challenge, allowed = await put_challenge(
        uow, rp, Ceremony.AUTHENTICATION, user_id
    )
    return AuthenticationStart(challenge_id=challenge_id, challenge=challenge, allowed=allowed)


async def _check(
    tx: PasskeyTransaction,
    rp: RelyingParty,
    taken: TakenChallenge,
    response_json: str,
    actor: Actor | None,
) -> PasskeySignIn | DomainError:
    """The sign-in an assertion proves, or the error to answer once the events committed."""
    credential_id = credential_id_of(response_json)
    passkey = await tx.passkey_by_credential_id(credential_id) if credential_id else None
    if passkey is None:
        await tx.add_events(passkey_rejected(None, "PASSKEY_NOT_FOUND", actor))
        return passkey_not_found()
    try:
        assertion = verify_assertion(response_json, taken.expected(rp), passkey.public_key)
    except CeremonyError as error:
        log.info("passkey assertion refused", passkey_id=passkey.id, reason=str(error))
        await tx.add_events(passkey_rejected(passkey, "AUTHENTICATION_FAILED", actor))
        return authentication_failed()
    if not (
        counter_moved_forward(passkey.counter, assertion.sign_count)
        and await tx.advance_counter(passkey.id, assertion.sign_count)
    ):
        log.warning(
            "passkey counter did not move forward: possible clone",
            passkey_id=passkey.id,
            stored=passkey.counter,
            received=assertion.sign_count,
        )
        await tx.add_events(
            passkey_clone_suspected(passkey, assertion.sign_count, actor),
            passkey_rejected(passkey, "COUNTER_NOT_INCREASED", actor),
        )
        return authentication_failed()
    await tx.add_events(passkey_verified(passkey, assertion.user_verified, actor))
    return PasskeySignIn(passkey=passkey, user_verified=assertion.user_verified)


async def finish_authentication(
    uow: PasskeyUnitOfWork,
    rp: RelyingParty,
    *,
    challenge_id: str,
    response_json: str,
    actor: Actor | None,
) -> PasskeySignIn:
    """The passkey (and so the user) an AuthenticationResponseJSON answering the challenge
    proves. Any passkey of any user may answer a challenge, as in Better-Auth: the options'
    allowCredentials are a hint to the authenticator, not a restriction."""
    taken = await take_challenge(uow, challenge_id, Ceremony.AUTHENTICATION)
    async with uow.begin() as tx:
        outcome = await _check(tx, rp, taken, response_json, actor)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome
