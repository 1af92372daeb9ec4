"""update-user (api.md §9.1): a user's name, image and usernames (§9.6), and dropping the phone
number (§9.7). Protected fields (DESIGN §4) have no way in: the gateway refuses them, and this
use case cannot express them. A phone number is only ever set by verifying it."""

from dataclasses import replace

from authmesh_identity.domain import events
from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.model import ProfileUpdate, User
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_identity.domain.usernames import normalize_username
from authmesh_kit.events.envelope import Actor


async def update_user(
    uow: UnitOfWork, *, user_id: str, update: ProfileUpdate, actor: Actor | None
) -> User:
    """`update.username` comes as typed: it is checked and lower-cased here, and another
    user's username is USERNAME_IS_ALREADY_TAKEN (the unique index decides races)."""
    if update.username is not None:
        update = replace(update, username=normalize_username(update.username))
    async with uow.begin() as tx:
        user = await tx.update_profile(user_id, update)
        if user is None:
            raise user_not_found()
        fields = update.changed_fields()
        if fields:
            await tx.add_events(events.user_updated(user_id, fields, actor))
    return user
