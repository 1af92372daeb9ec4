"""Bans (api.md §9.9 ban-user, unban-user) and the ban check every sign-in passes.

A ban is the user's `banned` flag, with a reason and an optional end. Banning commits here with
a user.banned event; the gateway then revokes every session of the user at the session
service, and the session service's consumer of user.banned guarantees it (DESIGN §2). A ban
whose end has passed lifts itself: the next sign-in clears it (user.unbanned, "expired").
"""

import math
from datetime import UTC, datetime, timedelta

from authmesh_identity.domain import events
from authmesh_identity.domain.admin_permissions import BAN_USERS, AdminPolicy, admin_error
from authmesh_identity.domain.errors import banned_user, user_not_found
from authmesh_identity.domain.model import User
from authmesh_identity.domain.ports import AccountTransaction, UnitOfWork
from authmesh_kit.events.envelope import Actor

DEFAULT_BAN_REASON = "No reason"
# A ban's end must be a date Postgres and Python can hold; a century is far enough.
MAX_BAN_SECONDS = 100 * 365 * 24 * 3600


def ban_expiry(now: datetime, expires_in_s: float | None) -> datetime | None:
    """When a ban of `expires_in_s` seconds ends: never for none or 0 (Better-Auth tests it for
    truthiness), in the past for a negative one. INVALID_BAN_EXPIRY beyond a century."""
    if not expires_in_s:
        return None
    if not math.isfinite(expires_in_s) or abs(expires_in_s) > MAX_BAN_SECONDS:
        error = admin_error("INVALID_BAN_EXPIRY", f"banExpiresIn must be within {MAX_BAN_SECONDS}")
        error.metadata["max_s"] = str(MAX_BAN_SECONDS)
        raise error
    return now + timedelta(seconds=expires_in_s)


async def refuse_if_banned(tx: AccountTransaction, user: User, policy: AdminPolicy) -> User:
    """BANNED_USER with the operator's message while the user's ban lasts; a lapsed ban is
    lifted in this transaction. The user as it now is."""
    if not user.banned:
        return user
    if user.is_banned(datetime.now(UTC)):
        raise banned_user(policy.banned_user_message)
    lifted = await tx.lift_lapsed_ban(user.id)
    if lifted is None:  # changed meanwhile: lifted by a concurrent sign-in, or banned anew
        current = await tx.get_user(user.id)
        if current is None:
            raise user_not_found()
        if current.is_banned(datetime.now(UTC)):
            raise banned_user(policy.banned_user_message)
        return current
    await tx.add_events(events.user_unbanned(user.id, "expired", None))
    return lifted


async def ban_user(
    uow: UnitOfWork,
    policy: AdminPolicy,
    *,
    admin_user_id: str,
    user_id: str,
    reason: str | None,
    expires_in_s: float | None,
    actor: Actor | None,
) -> User:
    """Better-Auth's order: the permission, the user, not oneself."""
    async with uow.begin() as tx:
        BAN_USERS.check(await tx.get_user(admin_user_id), policy)
        if await tx.get_user(user_id) is None:
            raise user_not_found()
        if user_id == admin_user_id:
            raise admin_error("YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself")
        expires_at = ban_expiry(datetime.now(UTC), expires_in_s)
        reason = reason or DEFAULT_BAN_REASON
        ban = {"banned": True, "ban_reason": reason, "ban_expires": expires_at}
        user = await tx.update_user_fields(user_id, ban)
        if user is None:
            raise user_not_found()
        await tx.add_events(events.user_banned(user.id, reason, expires_at, actor))
    return user


async def unban_user(
    uow: UnitOfWork, policy: AdminPolicy, *, admin_user_id: str, user_id: str, actor: Actor | None
) -> User:
    async with uow.begin() as tx:
        BAN_USERS.check(await tx.get_user(admin_user_id), policy)
        lifted = {"banned": False, "ban_reason": None, "ban_expires": None}
        user = await tx.update_user_fields(user_id, lifted)
        if user is None:
            raise user_not_found()
        await tx.add_events(events.user_unbanned(user.id, "admin", actor))
    return user
