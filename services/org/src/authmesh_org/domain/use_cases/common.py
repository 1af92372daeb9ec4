"""What every org use case checks first: the actor's membership (an organization they are not
in answers as one that does not exist), then a permission of their roles."""

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from authmesh_kit.events.envelope import Actor
from authmesh_org.domain import access
from authmesh_org.domain.access import AccessControl, Statements
from authmesh_org.domain.errors import not_a_member, org_error
from authmesh_org.domain.model import Member, Organization, OrgPolicy
from authmesh_org.domain.ports import OrgTransaction


@dataclass(frozen=True)
class OrgContext:
    """What use cases need besides a transaction: the access control, the limits, and the
    accept link of an invitation."""

    access: AccessControl
    policy: OrgPolicy
    invitation_url: Callable[[str], str]


@dataclass(frozen=True)
class Caller:
    """The acting user (authenticated by the gateway) and the event actor."""

    user_id: str
    actor: Actor | None


def new_invitation_id() -> str:
    """192 random bits: an invitation id is the secret of its accept link."""
    return secrets.token_urlsafe(24)


async def locked_membership(
    tx: OrgTransaction, organization_id: str, user_id: str
) -> tuple[Organization, Member]:
    """The organization, locked for a change, and the user's membership in it."""
    organization = await tx.lock_organization(organization_id) if organization_id else None
    if organization is None:
        raise not_a_member()
    member = await tx.member(organization_id, user_id)
    if member is None:
        raise not_a_member()
    return organization, member


async def membership(tx: OrgTransaction, organization_id: str, user_id: str) -> Member:
    """The user's membership, unlocked (reads)."""
    member = await tx.member(organization_id, user_id) if organization_id else None
    if member is None:
        raise not_a_member()
    return member


async def check_organization_limit(tx: OrgTransaction, ctx: OrgContext, user_id: str) -> None:
    """Refuses a membership past the policy's organizations per user; the user's memberships
    stay locked until the transaction ends, so that concurrent joins count each other."""
    limit = ctx.policy.organization_limit
    if limit:
        await tx.lock_memberships_of(user_id)
        if await tx.count_memberships(user_id) >= limit:
            raise org_error("YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS")


async def custom_statements(tx: OrgTransaction, organization_id: str) -> dict[str, Statements]:
    return {role.role: role.permission for role in await tx.roles_of(organization_id)}


async def grants_of(
    tx: OrgTransaction, ctx: OrgContext, organization_id: str, role_field: str
) -> dict[str, frozenset[str]]:
    names = access.split_roles(role_field)
    custom: dict[str, Statements] = {}
    if any(name not in access.PREDEFINED_ROLES for name in names):
        custom = await custom_statements(tx, organization_id)
    return access.grants(ctx.access, names, custom)


async def require(
    tx: OrgTransaction,
    ctx: OrgContext,
    member: Member,
    permissions: Statements,
    refusal: str,
) -> dict[str, frozenset[str]]:
    """The member's grants, when they allow `permissions`; else Better-Auth's `refusal`."""
    granted = await grants_of(tx, ctx, member.organization_id, member.role)
    if not access.allows(granted, permissions):
        raise org_error(refusal)
    return granted


async def assignable_roles(
    tx: OrgTransaction,
    ctx: OrgContext,
    actor: Member,
    names: Iterable[str],
    *,
    unknown: str,
    refusal: str,
) -> str:
    """The role field for `names`, when the actor may hand them out: each name exactly a
    defined role (else `unknown`); owner only from an owner, and no role granting more than
    the actor holds unless the actor is an owner (else `refusal`)."""
    wanted = list(dict.fromkeys(names))  # drops repeats, keeps order
    if not wanted:
        raise org_error(unknown)
    custom = await custom_statements(tx, actor.organization_id)
    if access.unknown_roles(wanted, custom):
        raise org_error(unknown)
    if access.is_owner(actor.role):
        return access.join_roles(wanted)
    if access.OWNER in wanted:
        raise org_error(refusal)
    mine = access.grants(ctx.access, access.split_roles(actor.role), custom)
    theirs = access.grants(ctx.access, wanted, custom)
    if any(not actions <= mine.get(resource, frozenset()) for resource, actions in theirs.items()):
        raise org_error(refusal)
    return access.join_roles(wanted)
