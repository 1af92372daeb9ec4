"""The challenge of a passkey ceremony: kept when options are handed out, taken (deleted) when
the response comes back, in a transaction of its own so that it is used up whatever the
response is worth (domain/passkeys.py)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from authmesh_mfa.domain.passkey_ceremonies import Expected
from authmesh_mfa.domain.passkeys import (
    Ceremony,
    Passkey,
    PasskeyChallenge,
    PasskeyUnitOfWork,
    RelyingParty,
    challenge_id_hash,
    challenge_not_found,
    new_challenge,
    new_challenge_id,
)


@dataclass(frozen=True)
class TakenChallenge:
    challenge: bytes
    user_id: str | None

    def expected(self, rp: RelyingParty) -> Expected:
        """What the response to this challenge must match."""
        return Expected(
            challenge=self.challenge,
            rp_id=rp.id,
            origins=rp.origins,
            require_user_verification=rp.requires_user_verification,
        )


async def take_challenge(
    uow: PasskeyUnitOfWork, challenge_id: str, ceremony: Ceremony
) -> TakenChallenge:
    """Deletes the challenge the id names and answers it: CHALLENGE_NOT_FOUND when it is
    unknown, used, expired or of the other ceremony (then it is gone all the same)."""
    async with uow.begin() as tx:
        taken = await tx.take_challenge(challenge_id_hash(challenge_id))
    if taken is None or taken.ceremony is not ceremony or taken.expires_at <= datetime.now(UTC):
        raise challenge_not_found()
    return TakenChallenge(challenge=taken.challenge, user_id=taken.user_id)


async def put_challenge(
    uow: PasskeyUnitOfWork, rp: RelyingParty, ceremony: Ceremony, user_id: str | None
) -> tuple[str, bytes, list[Passkey]]:
    """A new challenge kept for `ceremony`: its id, the challenge, and the user's passkeys."""
    challenge_id, challenge = new_challenge_id(), new_challenge()
    async with uow.begin() as tx:
        users_passkeys = await tx.passkeys_of(user_id) if user_id else []
        await tx.add_challenge(
            PasskeyChallenge(
                id_hash=challenge_id_hash(challenge_id),
                ceremony=ceremony,
                challenge=challenge,
                user_id=user_id,
                expires_at=datetime.now(UTC) + rp.challenge_lifetime,
            )
        )
    return challenge_id, challenge, users_passkeys
