"""Second factors following identity's account changes (DESIGN §2), applied by the consumers
of its events (events/handlers.py), each once per event: a password changed or reset, and a
ban, revoke the user's trusted devices (whoever set the password may not hold the device), and
a deleted user leaves nothing behind."""

from authmesh_kit.events.envelope import Actor
from authmesh_mfa.domain import events
from authmesh_mfa.domain.ports import TwoFactorTransaction


async def revoke_trusted_devices(
    tx: TwoFactorTransaction, *, user_id: str, reason: str, actor: Actor | None
) -> int:
    await tx.lock_factors(user_id)  # waits for a rotation under way (two_factor_sign_in.py)
    revoked = await tx.delete_trusted_devices(user_id)
    if revoked:
        await tx.add_events(events.trusted_devices_revoked(user_id, reason, revoked, actor))
    return revoked


async def forget_user(tx: TwoFactorTransaction, *, user_id: str) -> None:
    await tx.lock_factors(user_id)
    await tx.delete_two_factor(user_id)
