"""Looking users up in bulk, by id and by email: the gateway joins the user data of
organization members, invitations and inviters with one call per answer."""

from collections.abc import Sequence

from authmesh_identity.domain.errors import too_many_users_requested
from authmesh_identity.domain.model import User
from authmesh_identity.domain.ports import UserStore

# An organization has at most 100 members and 100 pending invitations by default; the cap
# keeps one call to one bounded query whatever the limits are raised to.
MAX_LOOKUP = 1000


async def lookup_users(
    store: UserStore, *, user_ids: Sequence[str], emails: Sequence[str]
) -> list[User]:
    """Addresses are compared lower-cased, as identity stores them; unknown ones are left
    out."""
    if len(user_ids) > MAX_LOOKUP or len(emails) > MAX_LOOKUP:
        raise too_many_users_requested(MAX_LOOKUP)
    wanted_ids = sorted({user_id for user_id in user_ids if user_id})
    wanted_emails = sorted({email.lower() for email in emails if email})
    if not wanted_ids and not wanted_emails:
        return []
    return await store.lookup(wanted_ids, wanted_emails)
