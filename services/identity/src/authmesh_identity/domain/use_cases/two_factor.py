"""`twoFactorEnabled`, which identity keeps and mfa decides (DESIGN §2): mfa commits a change,
then the gateway tells identity at once, and mfa's enrolled / disabled event tells it again for
when that call failed. Both carry the time mfa made the change, and a change older than the
last one applied is ignored, so the two paths may arrive in any order and any number of times.
"""

from datetime import datetime

from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.model import User
from authmesh_identity.domain.ports import AccountTransaction, UnitOfWork


async def set_two_factor_enabled(
    uow: UnitOfWork, *, user_id: str, enabled: bool, changed_at: datetime
) -> User:
    """The user after the change (or after a newer one that was applied already)."""
    async with uow.begin() as tx:
        await tx.set_two_factor_enabled(user_id, enabled, changed_at)
        user = await tx.get_user(user_id)
    if user is None:
        raise user_not_found()
    return user


async def apply_two_factor_change(
    tx: AccountTransaction, *, user_id: str, enabled: bool, changed_at: datetime
) -> None:
    """The same change from mfa's event, in the consumer's transaction: a user deleted since
    is no error."""
    await tx.set_two_factor_enabled(user_id, enabled, changed_at)
