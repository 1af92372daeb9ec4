"""The one check every sign-in path passes before a session exists (DESIGN §2): the user exists
and is not banned; a lapsed ban is lifted on the way (use_cases/admin_bans.py)."""

from authmesh_identity.domain.admin_permissions import AdminPolicy
from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.model import User
from authmesh_identity.domain.ports import UnitOfWork
from authmesh_identity.domain.use_cases.admin_bans import refuse_if_banned


async def assert_can_sign_in(uow: UnitOfWork, policy: AdminPolicy, *, user_id: str) -> User:
    async with uow.begin() as tx:
        user = await tx.get_user(user_id)
        if user is None:
            raise user_not_found()
        return await refuse_if_banned(tx, user, policy)
