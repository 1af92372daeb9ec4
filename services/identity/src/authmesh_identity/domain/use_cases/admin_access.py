"""What admins read and may do (api.md §9.9): the user listing, permission checks (has-permission
and the gateway's check before it touches a user's sessions), and who may be impersonated."""

from authmesh_identity.domain.admin_permissions import (
    IMPERSONATE_ADMINS,
    IMPERSONATE_USERS,
    LIST_USERS,
    AdminPolicy,
    Permissions,
    has_permission,
    is_admin,
)
from authmesh_identity.domain.admin_user_query import ListingRequest, UserPage, user_query
from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.model import User
from authmesh_identity.domain.ports import UnitOfWork, UserDirectory
from authmesh_identity.domain.use_cases.admin_bans import refuse_if_banned


async def list_users(
    uow: UnitOfWork,
    directory: UserDirectory,
    policy: AdminPolicy,
    *,
    admin_user_id: str,
    request: ListingRequest,
) -> UserPage:
    """An empty, `supported=False` page for a request outside the allow-list."""
    async with uow.begin() as tx:
        LIST_USERS.check(await tx.get_user(admin_user_id), policy)
    query = user_query(request)
    if query is None:
        return UserPage([], 0, 0, supported=False)
    return await directory.list_users(query)


async def check_permission(
    uow: UnitOfWork, policy: AdminPolicy, *, user_id: str, permissions: Permissions
) -> bool:
    async with uow.begin() as tx:
        user = await tx.get_user(user_id)
    return has_permission(user, permissions, policy)


async def authorize_impersonation(
    uow: UnitOfWork, policy: AdminPolicy, *, admin_user_id: str, user_id: str
) -> User:
    """The user the admin may open a session as: one who could sign in (a lapsed ban lifted),
    and an admin only with `impersonate-admins` or AUTHMESH_ADMIN_ALLOW_IMPERSONATING_ADMINS."""
    async with uow.begin() as tx:
        admin = await tx.get_user(admin_user_id)
        IMPERSONATE_USERS.check(admin, policy)
        user = await tx.get_user(user_id)
        if user is None:
            raise user_not_found()
        if is_admin(user, policy) and not policy.allow_impersonating_admins:
            IMPERSONATE_ADMINS.check(admin, policy)
        return await refuse_if_banned(tx, user, policy)
