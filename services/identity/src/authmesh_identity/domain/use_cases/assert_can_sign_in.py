"""The one check every sign-in path passes before a session exists (DESIGN §2): the user exists
and is not banned; a lapsed ban is lifted on the way (use_cases/admin_bans.py).

It runs on every sign-in, so the common case is one read outside any transaction; only a user
with a ban (live or lapsed) goes through a transaction, where lifting a lapsed ban is a
conditional update that re-reads the user if a concurrent change won. A password sign-in has
just read its user: VerifyPassword ends in `check_can_sign_in` on it (use_cases/verify_password.py),
which spares the gateway the AssertCanSignIn call.
"""

from authmesh_identity.domain.admin_permissions import AdminPolicy
from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.model import User
from authmesh_identity.domain.ports import UnitOfWork, UserStore
from authmesh_identity.domain.use_cases.admin_bans import refuse_if_banned


async def assert_can_sign_in(
    store: UserStore, uow: UnitOfWork, policy: AdminPolicy, *, user_id: str
) -> User:
    user = await store.get(user_id)
    if user is None:
        raise user_not_found()
    return await check_can_sign_in(uow, policy, user)


async def check_can_sign_in(uow: UnitOfWork, policy: AdminPolicy, user: User) -> User:
    """The check on a user just read: BANNED_USER while a ban lasts; the user as it now is."""
    if not user.banned:
        return user
    async with uow.begin() as tx:
        return await refuse_if_banned(tx, user, policy)
