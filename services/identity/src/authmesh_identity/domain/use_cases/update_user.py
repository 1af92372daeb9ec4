"""update-user (api.md §9.1): a user's name and image. Protected fields (DESIGN §4) have no
way in: the gateway refuses them, and this use case cannot express them."""

from authmesh_identity.domain import events
from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.model import User
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_kit.events.envelope import Actor


async def update_user(
    uow: UnitOfWork,
    *,
    user_id: str,
    name: str | None,
    image: str | None,
    clear_image: bool,
    actor: Actor | None,
) -> User:
    changes = (("name", name is not None), ("image", image is not None or clear_image))
    fields = [field for field, changed in changes if changed]
    async with uow.begin() as tx:
        user = await tx.update_profile(user_id, name=name, image=image, clear_image=clear_image)
        if user is None:
            raise user_not_found()
        if fields:
            await tx.add_events(events.user_updated(user_id, fields, actor))
    return user
