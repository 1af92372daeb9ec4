"""Signing in by proof of an email address (the emailOTP and magicLink plugins, api.md §9.4 and
§9.5): the address's user, created verified when there is none and sign-up is allowed.

A user whose address was never verified got its access from someone who never proved control
of the address, perhaps an attacker who registered the victim's address first. The owner who
proves it now must not inherit that access: the proof verifies the address, deletes the user's
credential accounts, and the caller revokes its sessions (Better-Auth's
revokeUnprovenAccountAccess; a password.changed event that revokes sessions guarantees it).
"""

from dataclasses import dataclass

from authmesh_identity.domain import events
from authmesh_identity.domain.errors import user_not_found
from authmesh_identity.domain.model import NewUser, User
from authmesh_identity.domain.ports import AccountTransaction
from authmesh_kit.errors import DomainError
from authmesh_kit.events.envelope import Actor
from authmesh_kit.ids import new_id

# The password.changed method of a proof that stripped unproven access.
UNPROVEN_ACCESS_REVOKED = "email-proof"


@dataclass(frozen=True)
class EmailProof:
    user: User
    created: bool = False
    unproven_access_revoked: bool = False  # the caller revokes the user's sessions


async def prove_email(
    tx: AccountTransaction,
    *,
    email: str,
    name: str | None,
    image: str | None,
    method: str,
    sign_up: bool,
    actor: Actor | None,
) -> EmailProof | None:
    """The user of the (normalized) address, in the caller's transaction; None when it has no
    user and `sign_up` is off. `method` names the flow in user.created."""
    user = await tx.user_by_email(email)
    if user is None:
        if not sign_up:
            return None
        new_user = NewUser(
            id=new_id(), name=name or "", email=email, image=image, email_verified=True
        )
        try:
            created = await tx.create_user(new_user)
        except DomainError as error:
            if error.reason != "EMAIL_TAKEN":
                raise
            # A sign-up of the address committed meanwhile: that user is the one proven now.
            user = await tx.user_by_email(email)
            if user is None:
                raise
        else:
            await tx.add_events(events.user_created(created.id, email, method, actor))
            return EmailProof(created, created=True)
    if user.email_verified:
        return EmailProof(user)
    claimed = await tx.claim_unverified_user(user.id)
    if claimed is None:  # a concurrent proof claimed it first
        current = await tx.get_user(user.id)
        if current is None:
            raise user_not_found()
        return EmailProof(current)
    await tx.add_events(
        events.email_verified(claimed.id, actor),
        events.password_changed(claimed.id, UNPROVEN_ACCESS_REVOKED, True, actor),
    )
    return EmailProof(claimed, unproven_access_revoked=True)
