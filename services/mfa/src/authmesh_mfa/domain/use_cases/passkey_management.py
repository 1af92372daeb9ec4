"""A user's passkeys: list, rename, delete (Better-Auth's list-user-passkeys, update-passkey and
delete-passkey); and the purge of a deleted user's passkeys. A deleted passkey signs no one in
any more (ASVS 6.5.6)."""

from authmesh_kit.events.envelope import Actor
from authmesh_mfa.domain.passkeys import (
    Passkey,
    PasskeyTransaction,
    PasskeyUnitOfWork,
    not_passkey_owner,
    passkey_deleted,
    passkey_not_found,
    passkey_renamed,
)


async def list_passkeys(uow: PasskeyUnitOfWork, *, user_id: str) -> list[Passkey]:
    async with uow.begin() as tx:
        return await tx.passkeys_of(user_id)


async def _owned(tx: PasskeyTransaction, user_id: str, passkey_id: str) -> Passkey:
    """Better-Auth's `requireResourceOwnership`: PASSKEY_NOT_FOUND, or NOT_PASSKEY_OWNER for
    another user's passkey."""
    passkey = await tx.passkey(passkey_id)
    if passkey is None:
        raise passkey_not_found()
    if passkey.user_id != user_id:
        raise not_passkey_owner()
    return passkey


async def rename_passkey(
    uow: PasskeyUnitOfWork, *, user_id: str, passkey_id: str, name: str, actor: Actor | None
) -> Passkey:
    async with uow.begin() as tx:
        await _owned(tx, user_id, passkey_id)
        renamed = await tx.rename_passkey(passkey_id, name)
        if renamed is None:  # deleted meanwhile
            raise passkey_not_found()
        await tx.add_events(passkey_renamed(renamed, actor))
    return renamed


async def delete_passkey(
    uow: PasskeyUnitOfWork, *, user_id: str, passkey_id: str, actor: Actor | None
) -> None:
    async with uow.begin() as tx:
        await _owned(tx, user_id, passkey_id)
        if await tx.delete_passkey(passkey_id):
            await tx.add_events(passkey_deleted(user_id, passkey_id, "user", actor))


async def delete_user_passkeys(tx: PasskeyTransaction, *, user_id: str) -> None:
    """In the transaction of the user-deleted event's handler."""
    for passkey_id in await tx.delete_user_passkeys(user_id):
        await tx.add_events(passkey_deleted(user_id, passkey_id, "user-deleted", None))
