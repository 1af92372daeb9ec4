"""Adding a passkey to a signed-in user's account (Better-Auth's generate-register-options and
verify-registration; WebAuthn §7.1).

The challenge is taken in a transaction of its own before the response is checked, so a
challenge answers one response whatever that response is worth, as Better-Auth consumes it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from authmesh_kit.events.envelope import Actor
from authmesh_kit.ids import new_id
from authmesh_mfa.domain.passkey_ceremonies import CeremonyError, verify_registration
from authmesh_mfa.domain.passkeys import (
    Ceremony,
    Passkey,
    PasskeyUnitOfWork,
    RelyingParty,
    failed_to_verify_registration,
    new_user_handle,
    not_allowed_to_register,
    passkey_registered,
)
from authmesh_mfa.domain.use_cases.passkey_challenges import put_challenge, take_challenge

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RegistrationStart:
    challenge_id: str  # for the signed cookie only
    challenge: bytes
    user_handle: bytes
    excluded: list[Passkey]  # the user's passkeys, which the authenticator must not re-create


async def start_registration(
    uow: PasskeyUnitOfWork, rp: RelyingParty, *, user_id: str
) -> RegistrationStart:
    challenge_id, challenge, excluded = await put_challenge(uow, rp, Ceremony.REGISTRATION, user_id)
    return RegistrationStart(
        challenge_id=challenge_id,
        challenge=challenge,
        user_handle=new_user_handle(),
        excluded=excluded,
    )


async def finish_registration(
    uow: PasskeyUnitOfWork,
    rp: RelyingParty,
    *,
    challenge_id: str,
    user_id: str,
    response_json: str,
    name: str | None,
    actor: Actor | None,
) -> Passkey:
    """Stores the credential of a RegistrationResponseJSON answering the user's challenge."""
    taken = await take_challenge(uow, challenge_id, Ceremony.REGISTRATION)
    if taken.user_id != user_id:
        raise not_allowed_to_register()
    try:
        credential = verify_registration(response_json, taken.expected(rp))
    except CeremonyError as error:
        log.info("passkey registration refused", user_id=user_id, reason=str(error))
        raise failed_to_verify_registration() from None
    async with uow.begin() as tx:
        passkey = await tx.add_passkey(
            Passkey(
                id=new_id(),
                user_id=user_id,
                name=name or None,
                credential_id=credential.credential_id,
                public_key=credential.public_key,
                counter=credential.sign_count,
                device_type=credential.device_type,
                backed_up=credential.backed_up,
                transports=credential.transports,
                aaguid=credential.aaguid,
                created_at=datetime.now(UTC),
            )
        )
        if passkey is None:  # the credential is registered already, to this user or another
            raise failed_to_verify_registration()
        await tx.add_events(passkey_registered(passkey, credential.user_verified, actor))
    return passkey
